"""The house's measures: how long each module is, and which functions are longest.

Run by hand::

    python -m bench.house                       # kmeans/, bench/ and tests/
    python -m bench.house kmeans --functions 15
    python -m bench.house --at 4db2171           # the same, for the files at a git revision

A module's size is its lines; a function's is its lines of code: without its docstring, blank
lines and comment lines, so a long explanation costs a function nothing. The limits the house
keeps: about 500 lines a module unless it is one idea, about 60 lines of code a function
unless it is declarative (a table, an argument parser).
"""

from __future__ import annotations

import argparse
import ast
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MODULE_LINES, FUNCTION_LINES = 500, 60


@dataclass(frozen=True)
class Function:
    path: str
    name: str
    code_lines: int


def sources(folders: list[str], revision: str | None) -> Iterator[tuple[str, str]]:
    """(path, text) of every Python file under ``folders``, in the tree or at ``revision``."""
    if revision is None:
        for folder in folders:
            for path in sorted((REPO / folder).rglob("*.py")):
                yield str(path.relative_to(REPO)), path.read_text(encoding="utf-8")
        return
    listed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", revision, "--", *folders],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    for path in sorted(p for p in listed if p.endswith(".py")):
        text = subprocess.run(
            ["git", "show", f"{revision}:{path}"], cwd=REPO, check=True, capture_output=True
        ).stdout.decode("utf-8")
        yield path, text


def functions(path: str, text: str) -> Iterator[Function]:
    """Every function and method in ``text`` with its lines of code."""
    lines = text.splitlines()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield Function(path, node.name, _code_lines(node, lines))


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> int:
    first = node.body[0]
    docstring = (
        range(first.lineno - 1, first.end_lineno)
        if isinstance(first, ast.Expr) and _is_string(first)
        else range(0)
    )
    return sum(
        1
        for i in range(node.lineno - 1, node.end_lineno)
        if i not in docstring and lines[i].strip() and not lines[i].strip().startswith("#")
    )


def _is_string(statement: ast.Expr) -> bool:
    return isinstance(statement.value, ast.Constant) and isinstance(statement.value.value, str)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", default=["kmeans", "bench", "tests"])
    parser.add_argument("--at", metavar="REVISION", help="measure the files at a git revision")
    parser.add_argument("--functions", type=int, default=10, help="how many longest to list")
    args = parser.parse_args(argv)
    files = list(sources(args.folders, args.at))
    print("| module | lines |")
    print("|---|---:|")
    for path, text in sorted(files, key=lambda file: -len(file[1].splitlines())):
        count = len(text.splitlines())
        print(f"| {path} | {count}{' ⚠' if count > MODULE_LINES else ''} |")
    found = [f for path, text in files for f in functions(path, text)]
    print()
    print("| function | lines of code |")
    print("|---|---:|")
    for function in sorted(found, key=lambda f: -f.code_lines)[: args.functions]:
        flag = " ⚠" if function.code_lines > FUNCTION_LINES else ""
        print(f"| {function.path}: {function.name} | {function.code_lines}{flag} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

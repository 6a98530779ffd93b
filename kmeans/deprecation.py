"""Old names that still work for one release, each with a DeprecationWarning naming the new one.

The names chosen in :mod:`kmeans` (see the glossary there) replaced a few older ones; users'
scripts that use the older names keep running, and are told what to write instead.
"""

from __future__ import annotations

import functools
import importlib
import warnings
from collections.abc import Callable
from typing import Any


def warn_renamed(old: str, new: str) -> None:
    """Warn that ``old`` is now called ``new``, pointing at the caller's caller."""
    warnings.warn(
        f"{old} is deprecated and will be removed in the next release; use {new}.",
        DeprecationWarning,
        stacklevel=3,
    )


def moved_names(module: str, moved: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for names that moved: ``{name: "new.module"}``.

    The new module is imported only when an old name is used, so the two modules may import
    each other.
    """

    def __getattr__(name: str) -> Any:  # noqa: N807  (the name Python looks for)
        if name not in moved:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warn_renamed(f"{module}.{name}", f"{moved[name]}.{name}")
        return getattr(importlib.import_module(moved[name]), name)

    return __getattr__


def renamed_keywords(**renamed: str) -> Callable[[Callable], Callable]:
    """A decorator that accepts old keyword names: ``@renamed_keywords(keep="fixed_colours")``."""

    def decorate(function: Callable) -> Callable:
        @functools.wraps(function)
        def accepting_old_names(*args: Any, **kwargs: Any) -> Any:
            for old, new in renamed.items():
                if old in kwargs:
                    warn_renamed(f"{function.__name__}({old}=...)", f"{new}=")
                    if new in kwargs:
                        raise TypeError(f"{function.__name__} got both {old}= and {new}=.")
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return accepting_old_names

    return decorate

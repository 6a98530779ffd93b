"""``python -m kmeans``: the command line, see :mod:`kmeans.cli`."""

from kmeans.cli import main

if __name__ == "__main__":  # not when a tool such as pytest's doctest collector imports it
    raise SystemExit(main())

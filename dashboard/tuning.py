"""Tuning the server process for many visitors, called once from ``streamlit_app.py``.

Streamlit runs every visitor's script in a thread of the one server process, so two settings
of that process decide how much memory a class of visitors needs and how long each rerun waits
after its script has finished.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
from functools import cache


def fewer_malloc_arenas(most: int = 2) -> bool:
    """Let glibc keep at most ``most`` memory arenas (as MALLOC_ARENA_MAX=2 would).

    glibc gives threads arenas of their own (up to 8 per core), each keeping the memory its big
    arrays freed, so a class of visitors kept the server far above what it was using. A no-op,
    returning False, where there is no glibc.
    """
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    M_ARENA_MAX = -8  # from glibc's malloc.h
    return bool(mallopt(M_ARENA_MAX, most))


def freeze_what_is_loaded() -> None:
    """Take every object alive now out of the garbage collector's sight, for good.

    Streamlit collects garbage after every script run, before the page hears that the run is
    over; frozen, the objects that live as long as the process (NumPy, Plotly and Streamlit as
    imported) are not walked again at every rerun.
    """
    gc.collect()
    gc.freeze()


@cache
def tune_for_many_visitors() -> None:
    """Both of the above, the first time only: once the page's modules are imported, and
    before any visitor's work, so nothing a run makes is ever frozen."""
    fewer_malloc_arenas()
    freeze_what_is_loaded()

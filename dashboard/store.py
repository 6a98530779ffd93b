"""Recent results shared by every visitor, bounded in number and in bytes (oldest out first).

The page keeps decoded photos, colour counts and runs here rather than under
``st.cache_data``: that cache records every element a cached function draws and replays it
later, and a progress bar made by the page cannot be replayed. A bound in bytes, not only in
items, is what keeps a class of visitors with 40 MP photos inside the server's memory.

>>> store = Store(max_items=2, max_bytes=10, size_of=len)
>>> store.put("a", b"1234"); store.put("b", b"5678"); store.put("c", b"90")
>>> store.get("a") is None, store.get("c")  # two items at most: the oldest went
(True, b'90')
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from dashboard.work_queue import Progress

#: Told to a visitor who waits for a result another visitor's page is making.
SAME_WORK_MESSAGE = "Another visitor asked for the same thing a moment ago: waiting for it…"


class Store:
    """At most ``max_items`` values whose ``size_of`` sums to at most ``max_bytes``.

    The newest value is always kept, however large. A value is made once even when several
    visitors ask for it at the same moment (a class opening the same link): the first makes
    it, the others wait for it, and are told so, instead of each queueing to make it again.
    """

    def __init__(self, max_items: int, max_bytes: int, size_of: Callable[[Any], int]) -> None:
        self.max_items, self.max_bytes, self.size_of = max_items, max_bytes, size_of
        self.items: OrderedDict[object, Any] = OrderedDict()
        self.making: dict[object, threading.Event] = {}
        self.lock = threading.Lock()

    def get(self, key: object) -> Any:
        """The value stored under ``key`` (now the most recently used), or None."""
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
            return self.items.get(key)

    def get_or_make(
        self,
        key: object,
        make: Callable[[], Any],
        report: Progress | None = None,
        may_wait: bool = True,
    ) -> Any:
        """The stored value, or ``make()``'s; ``may_wait=False`` makes it rather than wait
        for another thread making it (which may itself be waiting for this one)."""
        while True:
            with self.lock:
                if key in self.items:
                    self.items.move_to_end(key)
                    return self.items[key]
                being_made = self.making.get(key)
                if being_made is None:
                    self.making[key] = threading.Event()
                    break
            if not may_wait:
                made = make()
                self.put(key, made)
                return made
            if report is not None:
                report(0.0, SAME_WORK_MESSAGE)
            being_made.wait()  # then look again: stored, or failed and ours to try
        try:
            made = make()
            self.put(key, made)
            return made
        finally:
            with self.lock:
                self.making.pop(key).set()

    def put(self, key: object, value: Any) -> None:
        """Store ``value``, letting the oldest go until both bounds hold again."""
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.max_items or (
                len(self.items) > 1 and sum(map(self.size_of, self.items.values())) > self.max_bytes
            ):
                self.items.popitem(last=False)

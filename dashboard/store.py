"""Recent results shared by every visitor, bounded in number and in bytes (oldest out first).

The page keeps decoded photos, colour counts, previews and runs here rather than under
``st.cache_data``: the work queues' workers make and read them outside any visitor's script,
and nothing is copied or pickled on the way. A bound in bytes, not only in items, is what keeps
a class of visitors with 40 MP photos inside the server's memory.

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


class Store:
    """At most ``max_items`` values whose ``size_of`` sums to at most ``max_bytes``.

    The newest value is always kept, however large. A value is made once even when two
    threads ask for it at the same moment: the first makes it, the other waits for it.
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

    def get_or_make(self, key: object, make: Callable[[], Any]) -> Any:
        """The stored value, or ``make()``'s, made once for every thread asking at once."""
        while True:
            with self.lock:
                if key in self.items:
                    self.items.move_to_end(key)
                    return self.items[key]
                being_made = self.making.get(key)
                if being_made is None:
                    self.making[key] = threading.Event()
                    break
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

"""The bounded store the page keeps photos, counts and runs in: its bounds, and a result made
once for every visitor who asks for it at the same moment. Real threads, no page."""

from __future__ import annotations

import threading

import pytest

from dashboard.store import Store

PATIENCE = 5


def test_a_store_drops_the_oldest_beyond_its_bytes():
    store = Store(max_items=10, max_bytes=100, size_of=len)
    for key in "abc":
        store.put(key, b"x" * 40)
    assert store.get("a") is None and store.get("b") and store.get("c")  # 120 > 100: a went


def test_a_store_drops_the_least_recently_used_beyond_its_count():
    store = Store(max_items=2, max_bytes=10**6, size_of=len)
    store.put("a", b"1")
    store.put("b", b"2")
    assert store.get("a") == b"1"  # now a is the more recently used
    store.put("c", b"3")
    assert list(store.items) == ["a", "c"]


def test_the_newest_value_stays_however_large():
    store = Store(max_items=4, max_bytes=10, size_of=len)
    store.put("small", b"1")
    store.put("huge", b"x" * 1000)
    assert list(store.items) == ["huge"]


def test_a_value_asked_for_twice_at_once_is_made_once():
    store = Store(max_items=10, max_bytes=100, size_of=len)
    made, started, release = [], threading.Event(), threading.Event()

    def slowly() -> bytes:
        made.append(1)
        started.set()
        release.wait(PATIENCE)
        return b"result"

    first = threading.Thread(target=store.get_or_make, args=("d", slowly))
    first.start()
    assert started.wait(PATIENCE)
    second_result = []
    second = threading.Thread(target=lambda: second_result.append(store.get_or_make("d", slowly)))
    second.start()
    release.set()
    first.join(PATIENCE)
    second.join(PATIENCE)
    assert made == [1] and second_result == [b"result"]


def test_when_making_fails_the_one_waiting_makes_it_instead():
    store = Store(max_items=10, max_bytes=100, size_of=len)
    started, release = threading.Event(), threading.Event()

    def fails() -> bytes:
        started.set()
        release.wait(PATIENCE)
        raise ValueError("the first thread's work failed")

    def first() -> None:
        with pytest.raises(ValueError):
            store.get_or_make("k", fails)

    first_thread = threading.Thread(target=first)
    first_thread.start()
    assert started.wait(PATIENCE)
    result = []
    second = threading.Thread(target=lambda: result.append(store.get_or_make("k", lambda: b"ok")))
    second.start()
    release.set()
    first_thread.join(PATIENCE)
    second.join(PATIENCE)
    assert result == [b"ok"] and store.get("k") == b"ok" and not store.making

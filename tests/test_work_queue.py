"""The full-size work queue: first come first served, each waiter told their place, and a
visitor who leaves never blocks those behind them. Real threads, no page."""

from __future__ import annotations

import threading
import time

import pytest

from dashboard.work_queue import WorkQueue

#: The most any test waits for a thread: far beyond what each step takes.
PATIENCE = 5


def held_open(queue: WorkQueue) -> tuple[threading.Thread, threading.Event]:
    """A first visitor inside the queue, who stays there until the event is set."""
    inside, release = threading.Event(), threading.Event()

    def first() -> None:
        with queue():
            inside.set()
            release.wait(PATIENCE)

    thread = threading.Thread(target=first)
    thread.start()
    assert inside.wait(PATIENCE)
    return thread, release


def test_the_queue_serves_in_order_and_tells_each_visitor_their_place():
    queue, served, told = WorkQueue(), [], {}
    first, release = held_open(queue)
    arrived = {name: threading.Event() for name in ("second", "third")}

    def visitor(name: str) -> None:
        def report(_fraction: float, words: str) -> None:
            told.setdefault(name, words)
            arrived[name].set()

        with queue(report):
            served.append(name)

    threads = [first]
    for name in ("second", "third"):  # one after the other, so their tickets are in order
        threads.append(threading.Thread(target=visitor, args=(name,)))
        threads[-1].start()
        assert arrived[name].wait(PATIENCE)
    release.set()
    for thread in threads:
        thread.join(PATIENCE)
    assert served == ["second", "third"]
    assert told == {
        "second": "Waiting: 1 photo ahead of yours…",
        "third": "Waiting: 2 photos ahead of yours…",
    }


def test_a_waiting_visitor_is_told_their_place_when_it_changes_not_at_every_poll():
    """The queue polls twice a second; a class of waiters each sending a message at every poll
    slowed the work they were waiting for."""
    queue, messages = WorkQueue(), []
    first, release = held_open(queue)

    def second() -> None:
        with queue(lambda _, words: messages.append(words)):
            pass

    waiter = threading.Thread(target=second)
    waiter.start()
    time.sleep(1.6)  # three polls, well within one reminder (not a timing assertion)
    release.set()
    first.join(PATIENCE)
    waiter.join(PATIENCE)
    assert messages == ["Waiting: 1 photo ahead of yours…"]


def test_a_visitor_who_leaves_the_queue_while_waiting_does_not_block_those_behind():
    queue, served = WorkQueue(), []
    first, release = held_open(queue)
    left = threading.Event()

    class RerunError(Exception):
        """What Streamlit raises from a page call when the visitor changes a setting."""

    def leaver(_fraction: float, _words: str) -> None:
        raise RerunError

    def leaves() -> None:
        with pytest.raises(RerunError), queue(leaver):
            served.append("never")
        left.set()

    def last() -> None:
        with queue():
            served.append("last")

    leaving = threading.Thread(target=leaves)
    leaving.start()
    assert left.wait(PATIENCE)  # gave up while the first visitor was still served
    behind = threading.Thread(target=last)
    behind.start()
    release.set()
    for thread in (first, leaving, behind):
        thread.join(PATIENCE)
        assert not thread.is_alive()
    assert served == ["last"]


def test_work_already_in_the_queue_may_ask_it_again_without_waiting_for_itself():
    queue, steps = WorkQueue(), []

    def nested() -> None:
        with queue():
            assert queue.held_here()
            with queue():  # e.g. decoding a photo evicted meanwhile, from inside a run
                steps.append("inner")
            steps.append("outer")

    worker = threading.Thread(target=nested)
    worker.start()
    worker.join(PATIENCE)
    assert not worker.is_alive() and steps == ["inner", "outer"]
    assert not queue.held_here()
    with queue():  # and the queue is free again for the next visitor
        steps.append("next")
    assert steps[-1] == "next"


def test_work_that_fails_lets_the_next_visitor_in():
    queue = WorkQueue()
    with pytest.raises(ZeroDivisionError), queue():
        _ = 1 / 0
    entered = threading.Event()

    def next_visitor() -> None:
        with queue():
            entered.set()

    worker = threading.Thread(target=next_visitor)
    worker.start()
    assert entered.wait(PATIENCE)
    worker.join(PATIENCE)

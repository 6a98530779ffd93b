"""Full-size work, one photo at a time, first come first served, with places in the queue.

``kmeans/`` already spreads one photo over every core, so two photos at once would not finish
sooner, but each would add its own peak memory (about 0.7 GB for 40 MP at K = 256). Each visitor
takes a ticket and, while waiting, is told how many photos are ahead of theirs.

>>> queue = WorkQueue()
>>> with queue():
...     with queue():  # work already being served never waits behind itself
...         "inside"
'inside'
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

#: ``report(fraction, words)``: how far the work has got, in words a visitor reads.
Progress = Callable[[float, str], None]


class WorkQueue:
    """A ticket queue for the page's full-size work, shared by every visitor's thread.

    A visitor may leave while waiting: Streamlit stops a script when its visitor changes a
    setting, by raising an exception from the next page call, here the progress report. Their
    ticket is then marked done, so the queue skips it instead of waiting for it for ever.
    """

    #: How often a waiting visitor is told their place even when it has not changed: the page
    #: call is also how a script learns that its visitor has left.
    REMIND_SECONDS = 5.0

    def __init__(self) -> None:
        self.turn = threading.Condition()
        self.next_ticket = 0
        self.serving = 0
        self.done: set[int] = set()  # tickets finished or given up, not yet reached
        self.holder: int | None = None  # the thread being served

    def held_here(self) -> bool:
        """Whether this thread is being served: it must then never wait for another thread,
        which may itself be waiting for the queue."""
        return self.holder == threading.get_ident()

    @contextmanager
    def __call__(self, report: Progress | None = None) -> Iterator[None]:
        """Wait for this thread's turn (telling ``report`` its place), then hold it."""
        if self.held_here():
            yield
            return
        with self.turn:
            ticket = self.next_ticket
            self.next_ticket += 1
        try:
            self._wait_for(ticket, report)
            self.holder = threading.get_ident()
            yield
        finally:
            self._give_up(ticket)

    def _give_up(self, ticket: int) -> None:
        with self.turn:
            if self.serving == ticket:
                self.holder = None
            self.done.add(ticket)
            while self.serving in self.done:
                self.done.remove(self.serving)
                self.serving += 1
            self.turn.notify_all()

    def _wait_for(self, ticket: int, report: Progress | None) -> None:
        told, told_at = None, 0.0
        while True:
            with self.turn:
                if self.serving == ticket:
                    return
                ahead = sum(1 for t in range(self.serving, ticket) if t not in self.done)
            now = time.monotonic()
            # Only when the place changes, or to check the visitor is still there: a message
            # from every waiter at every poll slows the work they are waiting for.
            if report is not None and (ahead != told or now - told_at >= self.REMIND_SECONDS):
                told, told_at = ahead, now
                # Outside the lock: it is a page call, and may raise.
                report(0.0, f"Waiting: {ahead} photo{'s' if ahead > 1 else ''} ahead of yours…")
            with self.turn:
                if self.serving != ticket:
                    self.turn.wait(timeout=0.5)

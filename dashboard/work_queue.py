"""The page's heavy work, one job at a time, in a fair order, and only while someone waits for it.

A visitor's script asks for a result by its key (a photo read, a preview, a full-size run) and
waits, told its place and then how the work is going; a worker thread of the queue's own does
the work, so a script never holds a turn itself. Each result is made once however many
visitors ask for it at the same moment (a class opening the same link). Three rules:

* **Round robin.** The next job is the one whose visitors have been served the fewest jobs,
  then the oldest: each visitor's first result comes before anyone's second.
* **Only wanted work.** A job is worked on only while some visitor's script waits for it. A
  script stops waiting when Streamlit stops it: its visitor changed K, chose another photo, or
  closed the tab. A job nobody waits for is dropped before it starts, or stopped at its next
  progress report; a second's grace lets the visitor's next script, which often asks for the
  same result, take it over.
* **One at a time.** ``kmeans/`` already spreads one photo over every core, so two would not
  finish sooner, but each would add its own peak memory.
* **First pictures first.** A queue can be told to *yield to* another (the full-size work to
  the quick work: photos read at display size, previews): before each job it waits while the
  other has wanted work, for at most ``yield_seconds``, so every visitor's first picture comes
  before the full-size work takes the cores, and the full-size work is never starved.
* **Extras last.** A job asked for with ``later=True`` (the optimised downloads, which only
  make a file already there smaller) starts only when no other wanted job waits, and does not
  count as served: under load every visitor's results come before anyone's extras.

>>> queue = WorkQueue()
>>> queue.result("answer", lambda report: 42, visitor="ada")
42
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: ``report(fraction, words)``: how far the work has got, in words a visitor reads.
Progress = Callable[[float, str], None]

#: Told, beside their place, to a visitor whose result another visitor asked for first.
SAME_WORK_MESSAGE = (
    "Another visitor asked for the same thing a moment ago: it is made once for you both."
)


def place_words(ahead: int) -> str:
    """What a waiting visitor reads about their place in the queue."""
    return f"Waiting: {ahead} photo{'s' if ahead > 1 else ''} ahead of yours…"


def extra_place_words(ahead: int) -> str:
    """What a visitor waiting for an extra reads: the other work that comes first."""
    return f"{ahead} other task{'s' if ahead > 1 else ''} first…"


class AbandonedError(Exception):
    """Raised from a job's progress report once nobody has waited for its result for a while."""


@dataclass(eq=False)
class Job:
    """One result being made, and the scripts waiting for it, counted per visitor."""

    key: Hashable
    make: Callable[[Progress], Any]
    ticket: int
    first_visitor: Hashable
    later: bool = False  # an extra: after every other wanted job
    waiting: Counter = field(default_factory=Counter)
    alone_since: float | None = None  # when its last waiter left
    started: bool = False
    finished: bool = False
    progress: tuple[float, str] = (0.0, "Starting…")
    result: Any = None
    error: Exception | None = None


class WorkQueue:
    """Jobs made one at a time by the queue's worker, for the scripts of many visitors.

    ``grace_seconds``: how long a job nobody waits for is kept. ``poll_seconds``: how often a
    waiting script checks that it should go on waiting (Streamlit's stop or rerun request).
    """

    #: How many visitors' served counts are remembered, the least recently served forgotten.
    MAX_VISITORS = 4096

    def __init__(
        self,
        grace_seconds: float = 1.0,
        poll_seconds: float = 0.25,
        yields_to: WorkQueue | None = None,
        yield_seconds: float = 8.0,
    ) -> None:
        self.grace_seconds, self.poll_seconds = grace_seconds, poll_seconds
        self.yields_to, self.yield_seconds = yields_to, yield_seconds
        self.changed = threading.Condition()
        self.jobs: dict[Hashable, Job] = {}  # queued or being made
        self.served: OrderedDict[Hashable, int] = OrderedDict()
        self.tickets = itertools.count()
        self.worker: threading.Thread | None = None

    def result(
        self,
        key: Hashable,
        make: Callable[[Progress], Any],
        *,
        visitor: Hashable,
        report: Progress | None = None,
        check: Callable[[], None] | None = None,
        later: bool = False,
    ) -> Any:
        """``make(progress)``'s result, made by the worker in its turn, or by the job already
        making it for another script. ``report`` hears the place, then the progress; ``check``
        raises when the waiting script should stop, and so withdraws it; ``later`` makes it an
        extra, worked on only when nothing else waits."""
        with self.asked(key, make, visitor=visitor, later=later) as ticket:
            return ticket.wait(report, check)

    @contextmanager
    def asked(
        self,
        key: Hashable,
        make: Callable[[Progress], Any],
        *,
        visitor: Hashable,
        later: bool = False,
    ) -> Iterator[Ticket]:
        """A place in the queue for ``make``'s result, held until the block ends, so that the
        work can go on while the script waits for something else first."""
        if threading.current_thread() is self.worker:  # a job asking for more work: do it now
            yield Done(make(_ignore))
            return
        ticket = Ticket(self, key, make, visitor, later)
        try:
            yield ticket
        finally:
            self._leave(ticket.job, visitor)

    def _join(
        self, key: Hashable, make: Callable[[Progress], Any], visitor: Hashable, later: bool
    ) -> Job:
        with self.changed:
            job = self.jobs.get(key)
            if job is None:
                job = self.jobs[key] = Job(key, make, next(self.tickets), visitor, later)
                if self.worker is None:
                    self.worker = threading.Thread(target=self._work, daemon=True)
                    self.worker.start()
            job.waiting[visitor] += 1
            job.alone_since = None
            self.changed.notify_all()
            return job

    def _leave(self, job: Job, visitor: Hashable) -> None:
        with self.changed:
            job.waiting[visitor] -= 1
            job.waiting += Counter()  # forget visitors with no script left waiting
            if not job.waiting:
                job.alone_since = time.monotonic()
            elif job.first_visitor not in job.waiting:  # the one who asked first has gone
                job.first_visitor = next(iter(job.waiting))
            self.changed.notify_all()

    def _wait_for(
        self, job: Job, visitor: Hashable, report: Progress | None, check: Callable[[], None] | None
    ) -> None:
        told = None
        while True:
            with self.changed:
                if job.finished:
                    return
                news = self._news(job, visitor)
            if check is not None:
                check()  # outside the lock: it raises to end the script
            # Only when it changes: a message from every waiter at every poll slows the work.
            if report is not None and news != told:
                told = news
                report(*news)
            with self.changed:
                if not job.finished:
                    self.changed.wait(self.poll_seconds)

    def _news(self, job: Job, visitor: Hashable) -> tuple[float, str]:
        """(fraction, words) for one waiting visitor: their place, then the job's progress."""
        if job.started:
            fraction, words = job.progress
        else:
            ahead = self._ahead_of(job)
            told = extra_place_words if job.later else place_words
            fraction, words = 0.0, told(ahead) if ahead else "Starting…"
        # Not for an extra: who reached it first is only whose page drew faster.
        if visitor != job.first_visitor and not job.later:
            words = f"{words} {SAME_WORK_MESSAGE}"
        return fraction, words

    def _ahead_of(self, job: Job) -> int:
        """The jobs before this one: the one being made (wanted or not), and the wanted ones
        that come first."""
        mine = self._priority(job)
        return sum(
            1
            for other in self.jobs.values()
            if other is not job
            and (other.started or (other.waiting and self._priority(other) < mine))
        )

    def _priority(self, job: Job) -> tuple[bool, int, int]:
        """Extras after everything else; then fewest jobs already served to its visitors, then
        the oldest."""
        fewest = min((self.served.get(visitor, 0) for visitor in job.waiting), default=0)
        return job.later, fewest, job.ticket

    def busy(self) -> bool:
        """Whether a job that is not an extra is wanted, or being made."""
        with self.changed:
            return any(job.waiting and not job.later for job in self.jobs.values())

    def _yield(self) -> None:
        """Wait while the queue this one yields to is busy, for at most ``yield_seconds``."""
        if self.yields_to is None:
            return
        deadline = time.monotonic() + self.yield_seconds
        while self.yields_to.busy() and time.monotonic() < deadline:
            time.sleep(self.poll_seconds / 5)

    def _work(self) -> None:
        while True:
            self._yield()
            with self.changed:
                job = self._next_job()
                if job is None:
                    self.worker = None
                    self.changed.notify_all()
                    return
                job.started = True
                self.changed.notify_all()
            result, error = self._make(job)
            with self.changed:
                job.result, job.error, job.finished = result, error, True
                del self.jobs[job.key]
                for visitor in [] if job.later else job.waiting:
                    self.served[visitor] = self.served.get(visitor, 0) + 1
                    self.served.move_to_end(visitor)
                while len(self.served) > self.MAX_VISITORS:
                    self.served.popitem(last=False)
                self.changed.notify_all()

    def _make(self, job: Job) -> tuple[Any, Exception | None]:
        """The job's result, or how it failed, for every script waiting for it."""
        try:
            return job.make(lambda fraction, words: self._progress(job, fraction, words)), None
        except Exception as failure:
            return None, failure

    def _next_job(self) -> Job | None:
        """The wanted job to make next (holding the lock), or None once there is no job at all.

        Jobs nobody waits for are dropped once their grace is over; within it they wait.
        """
        while True:
            now = time.monotonic()
            for job in [j for j in self.jobs.values() if self._gone(j, now)]:
                job.finished, job.error = True, AbandonedError()
                del self.jobs[job.key]
            wanted = [job for job in self.jobs.values() if job.waiting]
            if wanted:
                return min(wanted, key=self._priority)
            if not self.jobs:
                return None
            self.changed.wait(self.grace_seconds)

    def _gone(self, job: Job, now: float) -> bool:
        return job.alone_since is not None and now - job.alone_since >= self.grace_seconds

    def _progress(self, job: Job, fraction: float, words: str) -> None:
        with self.changed:
            if self._gone(job, time.monotonic()):
                raise AbandonedError
            job.progress = (fraction, words)
            self.changed.notify_all()


class Ticket:
    """A script's place in a :class:`WorkQueue`, for one result."""

    def __init__(
        self,
        queue: WorkQueue,
        key: Hashable,
        make: Callable[[Progress], Any],
        visitor: Hashable,
        later: bool = False,
    ) -> None:
        self.queue, self.key, self.make, self.visitor = queue, key, make, visitor
        self.later = later
        self.job = queue._join(key, make, visitor, later)

    def ahead(self) -> int:
        """How many jobs come before this one: 0 once it is being made, or made."""
        with self.queue.changed:
            return 0 if self.job.started else self.queue._ahead_of(self.job)

    def wait(self, report: Progress | None = None, check: Callable[[], None] | None = None) -> Any:
        """The result, once made; see :meth:`WorkQueue.result`."""
        self.queue._wait_for(self.job, self.visitor, report, check)
        while isinstance(self.job.error, AbandonedError):  # dropped just before we came back
            self.queue._leave(self.job, self.visitor)
            self.job = self.queue._join(self.key, self.make, self.visitor, self.later)
            self.queue._wait_for(self.job, self.visitor, report, check)
        if self.job.error is not None:
            raise self.job.error
        return self.job.result


class Done:
    """A ticket whose result is already there."""

    def __init__(self, result: Any) -> None:
        self.result = result

    def ahead(self) -> int:
        return 0

    def wait(self, report: Progress | None = None, check: Callable[[], None] | None = None) -> Any:
        return self.result


def _ignore(fraction: float, words: str) -> None:
    """A progress report nobody reads."""

"""The work queue: each visitor's first result before anyone's second, each waiter told their
place, each result made once, and work nobody waits for any more (a K replaced by a newer one,
a closed tab) dropped before it starts or stopped at its next report. Real threads, no page:
a script that Streamlit stops is a waiter whose ``check`` raises, as Streamlit's own does."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from dashboard.work_queue import SAME_WORK_MESSAGE, AbandonedError, WorkQueue, place_words

#: The most any test waits for a thread: far beyond what each step takes.
PATIENCE = 5


class StoppedError(Exception):
    """What Streamlit raises in a script it has stopped (its visitor left, or asked again)."""


class Visitor:
    """A visitor's script waiting in its own thread for one result, and what it was told."""

    def __init__(self, queue: WorkQueue, name: str, key: str, make: Callable | None = None):
        self.name, self.key, self.told, self.outcome = name, key, [], None
        self.stopped, self.heard = threading.Event(), threading.Event()
        self.make = make or (lambda report: f"{key} for {name}")

        def check() -> None:
            if self.stopped.is_set():
                raise StoppedError

        def report(_fraction: float, words: str) -> None:
            self.told.append(words)
            self.heard.set()

        def wait() -> None:
            try:
                self.outcome = queue.result(
                    key, self.make, visitor=name, report=report, check=check
                )
            except Exception as error:
                self.outcome = error

        self.thread = threading.Thread(target=wait)
        self.thread.start()
        assert self.heard.wait(PATIENCE)  # waiting now, in the order the test made them

    def hears(self, words: str) -> None:
        """Until the visitor has been told ``words`` (their place is told at the next poll)."""
        while words not in self.told:
            self.heard.clear()
            assert self.heard.wait(PATIENCE), f"{self.name} was never told {words!r}"

    def leave(self) -> None:
        self.stopped.set()
        self.thread.join(PATIENCE)
        assert isinstance(self.outcome, StoppedError)

    def result(self):
        self.thread.join(PATIENCE)
        assert not self.thread.is_alive()
        return self.outcome


def busy_worker(queue: WorkQueue, name: str = "first") -> tuple[Visitor, threading.Event]:
    """A first visitor whose job is being made, and stays so until the event is set."""
    started, release = threading.Event(), threading.Event()

    def slow(report) -> str:
        started.set()
        release.wait(PATIENCE)
        return "slow work"

    visitor = Visitor(queue, name, "slow", slow)
    assert started.wait(PATIENCE)
    return visitor, release


def settled(queue: WorkQueue) -> None:
    """Until the queue's worker has nothing left, not even work nobody waits for, and stops."""
    with queue.changed:
        assert queue.changed.wait_for(lambda: queue.worker is None, PATIENCE)


def recorded(made: list) -> Callable:
    """A job that notes, when it is made, whose it is."""
    return lambda key: lambda report: made.append(key) or key


def test_the_queue_serves_in_order_and_tells_each_visitor_their_place():
    queue, made = WorkQueue(), []
    first, release = busy_worker(queue)
    second = Visitor(queue, "second", "b", recorded(made)("b"))
    third = Visitor(queue, "third", "c", recorded(made)("c"))
    assert second.told == [place_words(1)] and third.told == [place_words(2)]
    release.set()
    assert (first.result(), second.result(), third.result()) == ("slow work", "b", "c")
    assert made == ["b", "c"]
    assert third.told[0] == "Waiting: 2 photos ahead of yours…"


def test_each_visitors_first_result_comes_before_anyones_second():
    queue, made = WorkQueue(), []
    assert queue.result("ada's first", recorded(made)("ada's first"), visitor="ada")
    first, release = busy_worker(queue)
    # Ada asks again before Bob asks for the first time: Bob still goes first.
    ada = Visitor(queue, "ada", "ada's second", recorded(made)("ada's second"))
    bob = Visitor(queue, "bob", "bob's first", recorded(made)("bob's first"))
    assert bob.told == [place_words(1)]
    ada.hears(place_words(2))
    release.set()
    for visitor in (first, ada, bob):
        visitor.result()
    assert made == ["ada's first", "bob's first", "ada's second"]


def test_a_k_replaced_by_a_newer_one_is_dropped_not_made():
    queue, made = WorkQueue(grace_seconds=0.05, poll_seconds=0.02), []
    first, release = busy_worker(queue)
    k16 = Visitor(queue, "ada", "K=16", recorded(made)("K=16"))
    behind = Visitor(queue, "bob", "bob's", recorded(made)("bob's"))
    k16.leave()  # Ada changed K: Streamlit stopped the script that asked for K=16
    k8 = Visitor(queue, "ada", "K=8", recorded(made)("K=8"))
    release.set()
    assert (first.result(), behind.result(), k8.result()) == ("slow work", "bob's", "K=8")
    settled(queue)
    assert made == ["bob's", "K=8"]


def test_a_visitor_who_closes_the_tab_while_queued_costs_nothing_more():
    queue, made = WorkQueue(grace_seconds=0.05, poll_seconds=0.02), []
    first, release = busy_worker(queue)
    leaving = Visitor(queue, "leaving", "theirs", recorded(made)("theirs"))
    behind = Visitor(queue, "behind", "mine", recorded(made)("mine"))
    assert behind.told == [place_words(2)]
    leaving.leave()
    behind.hears(place_words(1))  # moved up while the first visitor's work is still being made
    release.set()
    assert behind.result() == "mine" and first.result() == "slow work"
    settled(queue)
    assert made == ["mine"] and not queue.jobs


def test_work_being_made_for_nobody_is_stopped_at_its_next_report():
    queue = WorkQueue(grace_seconds=0.05, poll_seconds=0.02)
    reports, stopped = threading.Event(), threading.Event()

    def endless(report) -> None:
        while True:
            try:
                report(0.5, "K-Means round 1 of at most 5")
            except AbandonedError:
                stopped.set()
                raise
            reports.set()

    visitor = Visitor(queue, "ada", "endless", endless)
    assert reports.wait(PATIENCE)
    visitor.leave()
    assert stopped.wait(PATIENCE)


def test_a_script_that_comes_back_for_the_same_result_within_the_grace_keeps_its_job():
    """A rerun stops the visitor's script, whose next run asks for the same result at once."""
    queue, made = WorkQueue(grace_seconds=PATIENCE, poll_seconds=0.02), []
    _, release = busy_worker(queue)
    before = Visitor(queue, "ada", "K=16", recorded(made)("K=16"))
    behind = Visitor(queue, "bob", "bob's", recorded(made)("bob's"))
    before.leave()
    again = Visitor(queue, "ada", "K=16", recorded(made)("K=16"))
    assert again.told == [place_words(1)]  # still ahead of Bob
    release.set()
    assert (again.result(), behind.result()) == ("K=16", "bob's")
    assert made == ["K=16", "bob's"]


def test_one_result_asked_for_by_two_visitors_is_made_once_and_only_the_second_hears_why():
    queue, made = WorkQueue(), []
    _, release = busy_worker(queue)
    ada = Visitor(queue, "ada", "same photo", recorded(made)("same photo"))
    bob = Visitor(queue, "bob", "same photo", recorded(made)("same photo"))
    release.set()
    assert ada.result() == bob.result() == "same photo" and made == ["same photo"]
    assert not any(SAME_WORK_MESSAGE in words for words in ada.told)
    assert bob.told and all(SAME_WORK_MESSAGE in words for words in bob.told)
    assert place_words(1) in bob.told[0]


def test_progress_reaches_every_visitor_waiting_for_the_job():
    queue, go_on = WorkQueue(), threading.Event()

    def reporting(report) -> str:
        report(0.5, "K-Means round 2 of at most 4")
        go_on.wait(PATIENCE)
        return "done"

    ada = Visitor(queue, "ada", "run", reporting)
    bob = Visitor(queue, "bob", "run", reporting)
    for visitor in (ada, bob):
        while not any("round 2" in words for words in visitor.told):
            visitor.heard.clear()
            assert visitor.heard.wait(PATIENCE)
    go_on.set()
    assert ada.result() == bob.result() == "done"


def test_work_that_fails_fails_for_its_visitors_and_lets_the_next_one_in():
    queue = WorkQueue()

    def fails(report):
        raise ZeroDivisionError("the photo could not be read")

    with pytest.raises(ZeroDivisionError):
        queue.result("bad", fails, visitor="ada")
    assert queue.result("good", lambda report: "fine", visitor="bob") == "fine"


def test_a_job_that_asks_its_own_queue_for_more_work_gets_it_at_once():
    queue = WorkQueue()

    def outer(report) -> str:
        return queue.result("inner", lambda report: "inner", visitor="ada") + " in outer"

    assert queue.result("outer", outer, visitor="ada") == "inner in outer"


def test_an_idle_queue_has_no_worker_and_starts_one_when_asked():
    queue = WorkQueue()
    assert queue.result("one", lambda report: 1, visitor="ada") == 1
    settled(queue)
    assert queue.result("two", lambda report: 2, visitor="ada") == 2


def test_work_asked_for_first_goes_on_while_the_script_waits_for_a_preview():
    full_size, quick = WorkQueue(), WorkQueue()
    started = threading.Event()

    def full_run(report) -> str:
        started.set()
        return "full-size result"

    def preview(report) -> str:
        assert started.wait(PATIENCE)  # the full-size run has started meanwhile
        return "preview"

    with full_size.asked("run", full_run, visitor="ada") as ticket:
        assert quick.result("preview", preview, visitor="ada") == "preview"
        assert ticket.wait() == "full-size result"


def test_work_asked_for_but_never_waited_for_is_dropped():
    """The script stopped while it waited for its preview: its full-size run goes too."""
    queue, made = WorkQueue(grace_seconds=0.05, poll_seconds=0.02), []
    _, release = busy_worker(queue)
    with pytest.raises(StoppedError), queue.asked("run", recorded(made)("run"), visitor="ada"):
        raise StoppedError  # what Streamlit raises in the preview's wait
    release.set()
    settled(queue)
    assert made == []


def test_an_extra_waits_until_every_other_wanted_job_is_made_and_counts_as_no_turn():
    queue, made = WorkQueue(), []
    first, release = busy_worker(queue)
    # Ada's optimised downloads were asked for first, then Bob's and Carol's results.
    extra = threading.Thread(
        target=queue.result,
        args=("ada's extra", recorded(made)("ada's extra")),
        kwargs={"visitor": "ada", "later": True},
    )
    extra.start()
    with queue.changed:
        assert queue.changed.wait_for(lambda: "ada's extra" in queue.jobs, PATIENCE)
    bob = Visitor(queue, "bob", "bob's", recorded(made)("bob's"))
    carol = Visitor(queue, "carol", "carol's", recorded(made)("carol's"))
    assert bob.told == [place_words(1)] and carol.told == [place_words(2)]
    release.set()
    extra.join(PATIENCE)
    for visitor in (first, bob, carol):
        visitor.result()
    assert made == ["bob's", "carol's", "ada's extra"]
    # The extra was no turn of Ada's: her next result comes before Bob's and Carol's seconds.
    first, release = busy_worker(queue, "dave")
    bob2 = Visitor(queue, "bob", "bob's 2", recorded(made)("bob's 2"))
    ada = Visitor(queue, "ada", "ada's 2", recorded(made)("ada's 2"))
    ada.hears(place_words(1))
    release.set()
    for visitor in (first, bob2, ada):
        visitor.result()
    assert made[-2:] == ["ada's 2", "bob's 2"]


def test_full_size_work_waits_while_first_pictures_are_made_but_is_never_starved():
    quick = WorkQueue()
    full = WorkQueue(yields_to=quick, yield_seconds=1.0)
    made = []
    # Ada's preview is being made in the quick queue when Bob's full-size run is asked for.
    ada, release = busy_worker(quick, "ada")
    bob = Visitor(full, "bob", "bob's run", recorded(made)("bob's run"))
    carol = Visitor(quick, "carol", "carol's preview", recorded(made)("carol's preview"))
    release.set()
    ada.result(), carol.result(), bob.result()
    assert made == ["carol's preview", "bob's run"]
    # A quick queue that stays busy holds full-size work back for yield_seconds, no longer.
    dave, release = busy_worker(quick, "dave")
    erin = Visitor(full, "erin", "erin's run", recorded(made)("erin's run"))
    assert erin.result() == "erin's run" and made[-1] == "erin's run"
    assert not release.is_set()
    release.set()
    dave.result()

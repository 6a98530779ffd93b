"""What the lesson says at each step, in plain words a room can follow.

The sentence above the picture says what the last half step did and what comes next; once the
picture has stopped visibly changing it says so, and finished starts are compared, rounds and
all, so "New start" shows that the ending depends on the start.
"""

from __future__ import annotations

import streamlit as st

from kmeans.lesson import ASSIGN, Ending, Lesson, typical_error

#: What the two words of the lesson's error mean, said before its first step.
LEVELS_AND_ERROR = (
    "A colour is three numbers, red, green and blue, each from 0 to 255; one step of those is a "
    "**level**. The **typical error** is how many levels a pixel's colour lies from its team's "
    "colour, on average: the curve under the photo shows it fall, round by round."
)


def sentence(lesson: Lesson, ending: Ending) -> str:
    """What the last half step did, and what to press next."""
    if not lesson.steps:
        return (
            f"These are the {len(lesson.centroids)} starting colours. Press **Assign**: every "
            "pixel will join the team of the colour closest to it."
        )
    step = lesson.steps[-1]
    if lesson.finished:
        return (
            f"**No pixel changed team, so it has finished** (round {step.round}). The colours "
            "are already the averages of their teams, so updating would leave them where they "
            "are, and the next assignment would be the same: K-Means has converged."
        )
    said = f"Round {step.round} · {step.kind}: "
    if step.kind == ASSIGN:
        if step.round == 1:
            said += f"every one of the {step.changed:,} pixels joined a team. Now **Update**."
        else:
            said += (
                f"**{step.changed:,} pixels changed team** (outlined in the plot). Now "
                "**Update** to move each colour to its new team's average."
            )
    else:
        refilled = (
            f" Colour {', '.join(str(j + 1) for j in step.refilled)} had no pixels left, so "
            "it jumped to the pixel that fitted its team worst."
            if step.refilled
            else ""
        )
        said += (
            f"each colour moved to the average of its team; the biggest move was "
            f"**{step.moved:.1f} levels**.{refilled} Now **Assign** again."
        )
    return said + settled_note(lesson, ending)


def settled_note(lesson: Lesson, ending: Ending) -> str:
    """Past the round where the picture stops visibly changing: say so, and what is left."""
    if lesson.round < ending.settled or lesson.finished:
        return ""
    left = ending.rounds - lesson.round
    return (
        f" Since round {ending.settled} the picture looks as it will at the end; the {left} "
        f"round{'s' if left != 1 else ''} left fine-tune what the eye cannot see."
    )


def different_starts(lesson: Lesson) -> str:
    """Each finished start's rounds and final error, so "New start" shows that the ending, and
    how long it takes, depend on the start."""
    ends = st.session_state.setdefault("lesson_ends", {})
    key = st.session_state["lesson_key"]
    if lesson.finished:
        ends[key] = (
            key[2],
            lesson.round,
            typical_error(lesson.steps[-1].inertia, len(lesson.pixels)),
        )
    same_photo = [end for started, end in ends.items() if started[:2] == key[:2]]
    if len(same_photo) < 2:
        return ""
    listed = "; ".join(
        f"{'k-means++' if init == 'kmeans++' else 'random'}: {error:.2f} levels after {rounds} "
        f"round{'s' if rounds != 1 else ''}"
        for init, rounds, error in same_photo
    )
    return (
        f" Finished starts so far: {listed}. K-Means finds a good answer, not always the best "
        "one, and where it starts decides which, and how many rounds it takes."
    )

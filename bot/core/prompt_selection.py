"""Which prompt a session uses: a pure, deterministic policy.

The rules, in order of strength:

1. The prompt is of the session's interview type and is not excluded (for example the
   first prompt of a swap session).
2. It fits the candidate: their level and track first (a prompt for track ``any`` fits
   every track); failing that, the same level on a neighbouring track, then any track;
   then a neighbouring level (one step up or down). Prompts two or more levels away are
   used only when nothing closer exists at all.
3. It is one the candidate has never seen in any role: never had as a candidate, never run
   as an interviewer (with its guide and solution in hand). If they have seen every fitting
   prompt, one they only had as a candidate is reused before one whose guide they read, the
   one seen longest ago, and the reason says so.
4. With feedback history, it leans to the candidate's weakest rubric dimension of the type
   (:func:`weakest_dimensions` orders them from the candidate's revealed scores): among the
   remaining prompts, those that exercise the weakest dimension win, else the next weakest.
   The reason then opens with "This prompt exercises <dimension>, your candidate's weakest
   area in <type> so far."
5. Pramp style (a community setting, on by default): among the prompts still equal, one the
   interviewer has already solved as a candidate wins, so they run it better; the reason
   says so, with the date.
6. Among equals, a seeded random pick: the same inputs and seed give the same prompt,
   whatever the order of the candidates.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.bank import ANY_TRACK, Prompt, Rubric
from bot.core.errors import NotFound
from bot.core.feedback_models import Feedback, FeedbackRole
from bot.core.messages import ts
from bot.core.progress import Calibration, member_progress
from bot.core.vocab import DEFAULT_TRACKS, NEIGHBOUR_TRACKS, InterviewType, Level

__all__ = ["PromptChoice", "choose_prompt", "prompt_tiers", "weakest_dimensions"]


def weakest_dimensions(
    candidate_id: str,
    interview_type: InterviewType,
    feedback: Iterable[Feedback],
    calibration: Calibration | None = None,
) -> tuple[str, ...]:
    """The candidate's rubric dimensions of ``interview_type``, weakest first, from the scores
    interviewers gave them that have been revealed (hidden feedback never steers the choice).

    A dimension's strength is its recent average (the last three scores, as in ``/mock
    progress``), adjusted by ``calibration`` when given; ties go to the dimension id. Empty
    without such history.
    """
    rows = [
        fb
        for fb in feedback
        if fb.subject_id == candidate_id
        and fb.role is FeedbackRole.INTERVIEWER
        and fb.revealed_at is not None
        and fb.interview_type == interview_type.value
    ]
    if not rows:
        return ()
    report = member_progress(candidate_id, rows, calibration or Calibration({}, {}))
    dims = sorted(
        (d for d in report.dimensions if d.interview_type == interview_type.value),
        key=lambda d: (d.recent, d.dimension),
    )
    return tuple(d.dimension for d in dims)


@dataclass(frozen=True)
class PromptChoice:
    """The chosen prompt and why, for the opening of the interviewer's guide."""

    prompt: Prompt
    #: One or more sentences addressed to the interviewer.
    reason: str
    #: True when the candidate has seen this prompt before, in either role (every fitting
    #: one was used up).
    reused: bool
    #: Names of the rubric dimensions the prompt exercises most.
    exercised: tuple[str, ...]
    #: Ids of the candidate's weak dimensions this prompt exercises (empty without history).
    targets_weakness: tuple[str, ...] = ()
    #: True when the prompt is not for the candidate's own level and track.
    fallback: bool = False


def _soft_lower(text: str) -> str:
    """Lower-case the first letter unless the word is an acronym ("Backend" but "SQL", "ML")."""
    if len(text) > 1 and text[1].isupper():
        return text
    return text[:1].lower() + text[1:]


def _track_label(track: str) -> str:
    return _soft_lower(DEFAULT_TRACKS.get(track, track.replace("-", " ")))


def _track_distance(prompt: Prompt, track: str) -> int:
    """0: fits (own track or ``any``), 1: a neighbouring track, 2: another track."""
    if track == ANY_TRACK or prompt.suits_track(track):
        return 0
    if NEIGHBOUR_TRACKS.get(track, frozenset()) & set(prompt.tracks):
        return 1
    return 2


def _level_distance(prompt: Prompt, level: Level) -> int:
    return min(abs(lv.rank - level.rank) for lv in prompt.levels)


def prompt_tiers(
    candidates: Iterable[Prompt], level: Level, track: str
) -> dict[str, tuple[int, int]]:
    """How far each prompt is from a candidate's ``level`` and ``track``, by prompt id: (level
    steps, 0 own track or ``any`` / 1 neighbouring / 2 other). Pass it to
    :func:`choose_prompt` when choosing for many candidates of the same level and track (a
    round's booking): the same for all of them, so worked out once."""
    return {p.id: (_level_distance(p, level), _track_distance(p, track)) for p in candidates}


def _dimension_names(dim_ids: Sequence[str], rubric: Rubric | None) -> list[str]:
    """Display names of rubric dimensions (the id, readable, when the rubric lacks one)."""
    names: list[str] = []
    for dim_id in dim_ids:
        name = dim_id.replace("-", " ")
        if rubric is not None:
            try:
                name = rubric.dimension(dim_id).name
            except KeyError:
                pass
        names.append(name)
    return names


def _names(prompt: Prompt, rubric: Rubric | None) -> tuple[str, ...]:
    return tuple(_dimension_names(prompt.guide.exercises, rubric))


def _join(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _who(level: Level, track: str) -> str:
    if track == ANY_TRACK:
        return f"a {level.label.lower()} candidate"
    return f"a {level.label.lower()} {_track_label(track)} candidate"


def choose_prompt(
    candidates: Sequence[Prompt],
    *,
    level: Level,
    track: str,
    seen_by_candidate: Mapping[str, datetime],
    candidate_ran: Mapping[str, datetime] | None = None,
    weakest_dimensions: Sequence[str] = (),
    interviewer_seen: Mapping[str, datetime] | None = None,
    prefer_interviewer_seen: bool = False,
    exclude: Collection[str] = (),
    seed: int,
    interview_type: InterviewType | None = None,
    rubric: Rubric | None = None,
    tiers: Mapping[str, tuple[int, int]] | None = None,
) -> PromptChoice:
    """Choose the prompt for one candidate in one session.

    ``candidates`` are the bank's prompts for the session's type (other types are ignored
    when ``interview_type`` is given; without it, the candidates must share one type).
    ``seen_by_candidate`` maps prompt ids to when the candidate last had each as a
    candidate, ``candidate_ran`` to when they last ran each as the interviewer, and
    ``interviewer_seen`` to when the interviewer last had each as a candidate;
    ``weakest_dimensions`` are rubric dimension ids, weakest first. ``rubric`` (optional)
    turns dimension ids into names for the reason. ``tiers`` (optional) is
    :func:`prompt_tiers` of ``candidates`` for this ``level`` and ``track``, worked out once
    for many choices.

    Raises :class:`NotFound` when no prompt of the type is left after ``exclude``.
    """
    types = {p.type for p in candidates}
    if interview_type is None:
        if len(types) > 1:
            raise ValueError("candidates mix interview types; pass interview_type")
        kind = next(iter(types)) if types else None
    else:
        kind = interview_type
    excluded = set(exclude)
    pool = sorted(
        {p.id: p for p in candidates if p.type is kind and p.id not in excluded}.values(),
        key=lambda p: p.id,
    )
    if kind is None or not pool:
        what = kind.label if kind is not None else "this interview type"
        raise NotFound(f"There is no prompt for {what} to choose from.")

    distance = tiers if tiers is not None else prompt_tiers(pool, level, track)

    def tier(p: Prompt) -> tuple[int, int]:
        found = distance.get(p.id)
        return (
            found if found is not None else (_level_distance(p, level), _track_distance(p, track))
        )

    ran = dict(candidate_ran or {})

    def last_seen(pid: str) -> datetime:
        return max(when for when in (seen_by_candidate.get(pid), ran.get(pid)) if when is not None)

    near = [p for p in pool if tier(p)[0] <= 1]
    fitting = near or pool
    unseen = [p for p in fitting if p.id not in seen_by_candidate and p.id not in ran]
    exact = [p for p in pool if tier(p) == (0, 0)]
    exact_excluded = any(
        p.id in excluded and p.type is kind and tier(p) == (0, 0) for p in candidates
    )

    reused = not unseen
    if unseen:
        best = min(tier(p) for p in unseen)
        group = [p for p in unseen if tier(p) == best]
    else:
        # Reuse one they only had as a candidate before one whose guide they have read.
        reusable = [p for p in fitting if p.id not in ran] or fitting
        best = min(tier(p) for p in reusable)
        group = [p for p in reusable if tier(p) == best]

    # Lean to the weakest dimension (first weak dimension any remaining prompt exercises).
    targeted: tuple[str, ...] = ()
    rank = 0
    if weakest_dimensions and not reused:
        for i, dim in enumerate(weakest_dimensions):
            hits = [p for p in group if dim in p.guide.exercises]
            if hits:
                group, targeted, rank = hits, (dim,), i
                break
    # Pramp style: one the interviewer has had themselves.
    interviewer_knows = False
    if prefer_interviewer_seen and interviewer_seen and not reused:
        known = [p for p in group if p.id in interviewer_seen]
        if known:
            group = known
            interviewer_knows = True

    if reused:
        oldest = min(last_seen(p.id) for p in group)
        group = [p for p in group if last_seen(p.id) == oldest]
    chosen = group[0] if len(group) == 1 else random.Random(seed).choice(group)
    if interviewer_seen and chosen.id in interviewer_seen:
        interviewer_knows = True

    # The reason, addressed to the interviewer.
    sentences: list[str] = []
    who = _who(level, track)
    level_gap, track_gap = tier(chosen)
    if reused and chosen.id in ran:
        sentences.append(
            f"Your candidate has already seen every {_soft_lower(kind.label)} prompt that fits "
            f"them, so this is the one they saw longest ago: they ran it as an interviewer "
            f"on {ts(ran[chosen.id], 'D')} and know its guide, so go straight to the follow-ups."
        )
    elif reused:
        sentences.append(
            f"Your candidate has already had every {_soft_lower(kind.label)} prompt that fits "
            f"them, so this is the one they had longest ago (on {ts(seen_by_candidate[chosen.id], 'D')}): "
            "ask them to go further than last time."
        )
    elif (level_gap, track_gap) != (0, 0):
        own = level.label.lower() + ("" if track == ANY_TRACK else f" {_track_label(track)}")
        type_word = _soft_lower(kind.label)
        if exact:
            lead = f"Your candidate has had every {own} {type_word} prompt"
        elif exact_excluded:
            lead = f"No other {own} {type_word} prompt is available"
        else:
            lead = f"No {own} {type_word} prompt is written yet"
        if level_gap == 0:
            tracks = _join([_track_label(t) for t in chosen.tracks])
            sentences.append(f"{lead}, so this one is written for {tracks} at their level.")
        else:
            levels = _join([lv.label.lower() for lv in chosen.levels])
            if min(lv.rank for lv in chosen.levels) < level.rank:
                tail = f"use the {level.label.lower()} follow-ups to raise the bar."
            else:
                tail = "it runs above their level, so judge them against their own level's bar."
            sentences.append(f"{lead}, so this prompt is written for {levels}: {tail}")
    else:
        sentences.append(f"Chosen for {who}.")
    names = _names(chosen, rubric)
    if targeted:
        weak_name = _join([_soft_lower(n) for n in _dimension_names(targeted, rubric)])
        which = "weakest" if rank == 0 else f"{_ORDINALS.get(rank + 1, f'{rank + 1}th')}-weakest"
        # The guide opens with it: what this prompt is for, for this candidate.
        sentences.insert(
            0,
            f"This prompt exercises {weak_name}, your candidate's {which} area "
            f"in {_soft_lower(kind.label)} so far.",
        )
    elif names:
        sentences.append(f"It exercises {_join([_soft_lower(n) for n in names])} most.")
    if interviewer_knows and interviewer_seen:
        sentences.append(
            f"You solved this one as a candidate on {ts(interviewer_seen[chosen.id], 'D')}, "
            "so you know its turns."
        )
    return PromptChoice(
        prompt=chosen,
        reason=" ".join(sentences),
        reused=reused,
        exercised=names,
        targets_weakness=targeted,
        fallback=(level_gap, track_gap) != (0, 0),
    )


_ORDINALS = {2: "second", 3: "third", 4: "fourth", 5: "fifth"}

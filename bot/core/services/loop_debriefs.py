"""A mock loop's debrief from the database: each round's session and revealed feedback
(:func:`round_results`), the prompts to practise next (:func:`practise`), and the debrief as
the member reads it (:func:`debrief_message`). The rules themselves are pure, in
:mod:`bot.core.loop_debrief`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core.feedback_models import FeedbackRole
from bot.core.loop_debrief import Debrief, RoundResult, debrief_fields
from bot.core.loop_models import Loop, LoopTemplate
from bot.core.messages import Field, OutboundMessage, ts
from bot.core.models import SessionState
from bot.core.packs import community_prompts
from bot.core.ports import PromptSource, UnitOfWork
from bot.core.vocab import InterviewType

__all__ = ["PRACTISE_PROMPTS", "debrief_message", "practise", "round_results"]

#: Why a round was not held, as its line in the debrief says.
NOT_HELD_UNPAIRED = "no partner was free in its part of the loop's span."
NOT_HELD_CANCELLED = "its session was called off."
NOT_HELD_NO_SHOW = "one of you did not turn up."

#: How many prompts the debrief suggests for the weakest dimension.
PRACTISE_PROMPTS = 3


async def round_results(tx: UnitOfWork, source: PromptSource, loop: Loop) -> list[RoundResult]:
    """Each round of ``loop``: held or not, and the interviewer's revealed scores and verdict."""
    requests = await tx.loops.requests(loop.id)
    out: list[RoundResult] = []
    for index, kind in enumerate(loop.rounds):
        session = None
        called_off = False
        for req in reversed([r for r in requests if r.interview_type is kind]):
            if req.session_id is None:
                continue
            found = await tx.sessions.get(req.session_id)
            if found is not None and found.state is not SessionState.CANCELLED:
                session = found
                break
            called_off = called_off or found is not None
        if session is None:
            why = NOT_HELD_CANCELLED if called_off else NOT_HELD_UNPAIRED
            out.append(RoundResult(index, kind, held=False, why=why))
            continue
        held = session.state in (SessionState.COMPLETED, SessionState.IN_PROGRESS)
        about = [
            f
            for f in await tx.feedback.for_session(session.id)
            if f.role is FeedbackRole.INTERVIEWER
            and f.subject_id == loop.member_id
            and f.revealed_at is not None
        ]
        if not about or not held:
            no_show = session.state is SessionState.NO_SHOW
            out.append(
                RoundResult(
                    index,
                    kind,
                    held=held,
                    when=session.start,
                    why=NOT_HELD_NO_SHOW if no_show else None,
                )
            )
            continue
        fb = about[0]
        prompts = await community_prompts(source, tx, loop.community_id)
        rubric = prompts.rubric(prompts.get(session.prompt_ids[fb.part - 1]).rubric)
        scores = tuple(
            (d.id, d.name, fb.scores[d.id]) for d in rubric.dimensions if d.id in fb.scores
        )
        out.append(RoundResult(index, kind, True, session.start, scores, fb.verdict))
    return out


def practise(source: PromptSource, loop: Loop, rounds: Sequence[RoundResult]) -> tuple[str, ...]:
    """Prompts of the weakest round's type at the loop's level (for its track first)."""
    scored = [r for r in rounds if r.scores]
    if not scored:
        return ()
    weakest = min(scored, key=lambda r: (min(s for _i, _n, s in r.scores), r.index))
    kind: InterviewType = weakest.interview_type
    fit = list(source.prompts(kind, level=loop.level, track=loop.track))
    fit += [p for p in source.prompts(kind, level=loop.level) if p not in fit]
    return tuple(p.title for p in fit[:PRACTISE_PROMPTS])


def debrief_message(loop: Loop, templates: Mapping[str, LoopTemplate]) -> OutboundMessage:
    """The loop's debrief as a message (its member only)."""
    assert loop.debrief is not None
    debrief = Debrief.from_json(loop.debrief)
    fields = debrief_fields(debrief)
    template = templates.get(loop.template_id)
    if template is not None and template.company_notes:
        fields = (
            *fields,
            Field("This loop at a startup or a large company", template.company_notes),
        )
    return OutboundMessage(
        title=f"Loop debrief: {loop.template_name}",
        text=f"Your loop at {loop.level.label}, {ts(loop.starts_at, 'D')} to "
        f"{ts(loop.ends_at, 'D')}: every round side by side.",
        fields=fields,
        ephemeral=False,
    )

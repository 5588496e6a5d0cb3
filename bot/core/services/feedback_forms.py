"""The feedback forms: which forms a member fills for a session (one per part they took part in,
as interviewer or candidate), their inputs from the rubric, and their pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.actions import encode
from bot.core.bank import VERDICT_LABELS, VERDICTS, Rubric
from bot.core.feedback_models import INTERVIEWER_RATINGS, Feedback, FeedbackRole
from bot.core.messages import (
    ChoiceInput,
    FormInput,
    FormPage,
    Option,
    TextInput,
)
from bot.core.models import Session

FEEDBACK_WINDOW = timedelta(hours=72)
PAGE_SIZE = 5
MAX_ANCHOR = 100
MAX_STRENGTHS = 1000
MIN_STRENGTHS = 10
MAX_NOTE = 500
NO_HELP = "none"
SCORE_WORDS = {1: "1 · well below", 2: "2 · below", 3: "3 · meets", 4: "4 · above"}
RATING_WORDS = {1: "1 · poor", 2: "2 · fair", 3: "3 · good", 4: "4 · excellent"}


def clip_text(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def roles_for_part(session: Session, part: int) -> tuple[str, str]:
    """(interviewer, candidate) of a part: part 2 is the swapped half."""
    if part == 1:
        return session.interviewer_id, session.candidate_id
    return session.candidate_id, session.interviewer_id


def parts_of(session: Session) -> tuple[int, ...]:
    """The parts of a session: two in a swap, else one."""
    return (1, 2) if session.swap else (1,)


def window_end(session: Session) -> datetime:
    """When the session's feedback window closes."""
    return session.start + timedelta(minutes=session.minutes) + FEEDBACK_WINDOW


@dataclass(frozen=True)
class FormSlot:
    """One form a member fills for one part of a session."""

    part: int
    role: FeedbackRole
    partner_id: str

    def action(self, session_id: str) -> str:
        """The action id that submits this form."""
        return encode("feedback.submit", session_id, str(self.part), self.role.value)


def slots_for(session: Session, member_id: str) -> list[FormSlot]:
    """The forms ``member_id`` fills for the session: one per part they took part in."""
    slots = []
    for part in parts_of(session):
        interviewer, candidate = roles_for_part(session, part)
        if member_id == interviewer:
            slots.append(FormSlot(part, FeedbackRole.INTERVIEWER, candidate))
        elif member_id == candidate:
            slots.append(FormSlot(part, FeedbackRole.CANDIDATE, interviewer))
    return slots


def _score_input(
    input_id: str, label: str, anchors: dict[int, str], default: int | None, hint: str
) -> ChoiceInput:
    return ChoiceInput(
        id=input_id,
        label=clip_text(label, 45),
        options=tuple(
            Option(SCORE_WORDS[n], str(n), clip_text(anchors[n], MAX_ANCHOR)) for n in (1, 2, 3, 4)
        ),
        default=(str(default),) if default else (),
        hint=hint,
    )


def _rating_input(input_id: str, label: str, default: int | None) -> ChoiceInput:
    return ChoiceInput(
        id=input_id,
        label=label,
        options=tuple(Option(RATING_WORDS[n], str(n)) for n in (1, 2, 3, 4)),
        default=(str(default),) if default else (),
    )


def interviewer_inputs(rubric: Rubric, old: Feedback | None) -> list[FormInput]:
    """The interviewer's form inputs: a score per rubric dimension, the verdict and the notes
    (prefilled from ``old``)."""
    inputs: list[FormInput] = [
        _score_input(
            f"score.{d.id}",
            d.name,
            d.anchors,
            old.scores.get(d.id) if old else None,
            "Score 1 to 4 against the level they are aiming for.",
        )
        for d in rubric.dimensions
    ]
    inputs.append(
        ChoiceInput(
            id="verdict",
            label="Verdict at their target level",
            options=tuple(
                Option(VERDICT_LABELS[v], v, clip_text(rubric.verdict_guidance[v], MAX_ANCHOR))
                for v in VERDICTS
            ),
            default=(old.verdict,) if old and old.verdict else (),
        )
    )
    inputs.append(
        ChoiceInput(
            id="help_needed",
            label="Where would practice help most?",
            options=(
                *(Option(clip_text(d.name, 100), d.id) for d in rubric.dimensions),
                Option("Nothing in particular", NO_HELP),
            ),
            default=(old.help_needed,) if old and old.help_needed else (),
        )
    )
    inputs.append(
        TextInput(
            id="strengths",
            label="Strengths",
            multiline=True,
            min_length=MIN_STRENGTHS,
            max_length=MAX_STRENGTHS,
            placeholder="What went well, with an example",
            default=old.strengths if old else None,
            hint=f"{MIN_STRENGTHS} to {MAX_STRENGTHS} characters.",
        )
    )
    inputs.append(
        TextInput(
            id="improvements",
            label="What to improve",
            multiline=True,
            min_length=MIN_STRENGTHS,
            max_length=MAX_STRENGTHS,
            placeholder="One or two concrete things to practise",
            default=old.improvements if old else None,
            hint=f"{MIN_STRENGTHS} to {MAX_STRENGTHS} characters.",
        )
    )
    inputs.append(
        TextInput(
            id="admin_note",
            label="Private note for admins",
            required=False,
            multiline=True,
            max_length=MAX_NOTE,
            default=old.admin_note if old else None,
            hint=f"Up to {MAX_NOTE} characters. Never shown to your partner.",
        )
    )
    return inputs


def candidate_inputs(rubric: Rubric, old: Feedback | None) -> list[FormInput]:
    """The candidate's form inputs: private self-scores, ratings of the interviewer and the
    question, and a tip (prefilled from ``old``)."""
    inputs: list[FormInput] = [
        _score_input(
            f"self.{d.id}",
            f"You: {d.name}",
            d.anchors,
            old.scores.get(d.id) if old else None,
            "Your own score, 1 to 4. Private: only you see it, in your progress.",
        )
        for d in rubric.dimensions
    ]
    for key, label in INTERVIEWER_RATINGS.items():
        inputs.append(
            _rating_input(
                f"rate.{key}",
                f"Interviewer: {label}",
                old.interviewer_ratings.get(key) if old else None,
            )
        )
    inputs.append(
        _rating_input(
            "prompt_quality", "Quality of the question", old.prompt_quality if old else None
        )
    )
    inputs.append(
        TextInput(
            id="improvements",
            label="Tip for your interviewer",
            required=False,
            multiline=True,
            max_length=MAX_NOTE,
            default=old.improvements if old else None,
            hint=f"Up to {MAX_NOTE} characters. Shown to them at the reveal.",
        )
    )
    return inputs


def paginate(title: str, inputs: Sequence[FormInput]) -> tuple[FormPage, ...]:
    """``inputs`` in pages small enough for every face (at most five inputs a page)."""
    chunks = [tuple(inputs[i : i + PAGE_SIZE]) for i in range(0, len(inputs), PAGE_SIZE)]
    return tuple(
        FormPage(f"{title} ({n}/{len(chunks)})" if len(chunks) > 1 else title, chunk)
        for n, chunk in enumerate(chunks, 1)
    )

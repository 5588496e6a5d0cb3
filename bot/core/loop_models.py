"""Mock loops as the core sees them: a loop template (data, one file each) and a member's loop.

A loop is an onsite rehearsal: three or four rounds of different interview types for one
track, spread over one to two weeks. Each round is an ordinary interview request tagged with
the loop (``InterviewRequest.loop_id``), matched by the ordinary rounds. Templates are
written by communities in YAML and checked by the schema below (``bot/prompts/loop_templates.py``
reads the files; ``peerloop prompts check`` checks one).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.core.vocab import InterviewType, Level

__all__ = [
    "LOOP_DAYS",
    "LOOP_ROUNDS",
    "Loop",
    "LoopRound",
    "LoopStatus",
    "LoopTemplate",
    "template_problems",
]

#: A loop spans one to two weeks.
LOOP_DAYS: tuple[int, int] = (7, 14)
#: A loop has three or four rounds.
LOOP_ROUNDS: tuple[int, int] = (3, 4)
_ID = r"^[a-z0-9][a-z0-9-]{0,39}$"


class LoopRound(BaseModel):
    """One round of a template: its interview type and, optionally, what it looks at."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: InterviewType
    #: A short line shown to the member ("Coding: data structures under time pressure").
    focus: str = Field(default="", max_length=200)


class LoopTemplate(BaseModel):
    """A loop template: the rounds of an onsite for a track, and how long the loop lasts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    name: str = Field(min_length=3, max_length=80)
    track: str = Field(pattern=_ID)
    description: str = Field(default="", max_length=600)
    days: int = Field(default=10, ge=LOOP_DAYS[0], le=LOOP_DAYS[1])
    rounds: tuple[LoopRound, ...] = Field(min_length=LOOP_ROUNDS[0], max_length=LOOP_ROUNDS[1])
    #: What differs between a startup's loop and a large company's, for this track.
    company_notes: str = Field(default="", max_length=800)

    @field_validator("rounds")
    @classmethod
    def _distinct(cls, rounds: tuple[LoopRound, ...]) -> tuple[LoopRound, ...]:
        kinds = [r.type for r in rounds]
        twice = sorted({k.value for k in kinds if kinds.count(k) > 1})
        if twice:
            raise ValueError(
                "each round must be a different interview type (a member has one open request "
                f"per type); repeated: {', '.join(twice)}"
            )
        return rounds

    @property
    def types(self) -> tuple[InterviewType, ...]:
        """The rounds' interview types, in order."""
        return tuple(r.type for r in self.rounds)


def _accepted(error: Any) -> str:
    """What the failing field accepts, from pydantic's error context."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "enum":
        return f" Accepted: {', '.join(t.value for t in InterviewType)}."
    if kind == "string_pattern_mismatch":
        return " Accepted: lower-case letters, digits and hyphens (up to 40)."
    if kind == "extra_forbidden":
        return (
            " Accepted keys: id, name, track, description, days, rounds, company_notes; "
            "a round has type and focus."
        )
    if kind in ("too_short", "too_long") and error.get("loc", ("",))[0] == "rounds":
        return f" Accepted: {LOOP_ROUNDS[0]} to {LOOP_ROUNDS[1]} rounds."
    if kind.startswith(("greater_than", "less_than")) and "days" in error.get("loc", ()):
        return f" Accepted: {LOOP_DAYS[0]} to {LOOP_DAYS[1]} days."
    if ctx.get("min_length") is not None or ctx.get("max_length") is not None:
        return ""
    return ""


def template_problems(
    data: object,
) -> tuple[LoopTemplate | None, list[tuple[tuple[Any, ...], str]]]:
    """The template ``data`` describes, or ``None`` with each problem as (place, message), the
    message naming what is accepted."""
    if not isinstance(data, dict):
        return None, [((), "a loop template is a mapping with id, name, track, days and rounds")]
    try:
        return LoopTemplate.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            loc = tuple(error.get("loc", ()))
            message = str(error.get("msg", "invalid")).removeprefix("Value error, ")
            problems.append((loc, message + _accepted(error)))
        return None, problems


class LoopStatus(StrEnum):
    """Where a loop is: running, debriefed (the end), or cancelled by its member."""

    ACTIVE = "active"
    DEBRIEFED = "debriefed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Loop:
    """A member's loop: the template it followed (its rounds kept as booked), the level it
    aims at, its span, and its debrief once written."""

    id: str
    community_id: str
    member_id: str
    template_id: str
    template_name: str
    track: str
    level: Level
    rounds: tuple[InterviewType, ...]
    starts_at: datetime
    ends_at: datetime
    created_at: datetime
    status: LoopStatus = LoopStatus.ACTIVE
    #: The debrief as stored (:meth:`bot.core.loop_debrief.Debrief.to_json`), once written.
    debrief: dict[str, Any] | None = None
    debriefed_at: datetime | None = None

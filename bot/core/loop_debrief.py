"""A loop's debrief, pure: every round's scores and verdict side by side, the recommendation
at the target level with a hiring committee's reasoning, the weakest dimension across the
rounds and what to practise next.

:func:`debrief_of` builds it from plain round results; :class:`Debrief` is stored as JSON on
the loop and shown by :func:`debrief_fields` (``/mock loop status``, ``/mock progress``, the
message sent when it is ready) and :func:`digest_line` (the weekly digest).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.bank import VERDICT_LABELS
from bot.core.messages import Field
from bot.core.vocab import InterviewType, Level

__all__ = [
    "COMPANY_NOTE",
    "GUIDE_NOTE",
    "RECOVERY_NOTE",
    "Debrief",
    "RoundResult",
    "debrief_fields",
    "debrief_of",
    "digest_line",
    "recommend",
]

#: In the interviewer guide of a loop round and in the debrief: after a bad round.
RECOVERY_NOTE = (
    "Each round is scored on its own, so the next interviewer "
    "knows nothing of the last one. Take two minutes to write down what went wrong, then put "
    "it away; open the next round as if it were the first. Committees look for a consistent "
    "signal, and one weak round next to strong ones reads as a bad hour, not a pattern."
)
#: Opens the interviewer guide of a loop round (after the reason the prompt was chosen).
GUIDE_NOTE = (
    "This session is a round of your candidate's mock loop. Score this hour on its own "
    "evidence, as a real loop's interviewers do. If they say an earlier round went badly, "
    "give them a minute to reset before the prompt: a loop is judged on its consistent "
    "signal, and recovering well is part of it. Write your verdict as a large company's "
    "committee would read it (evidence against the rubric at their target level); a startup "
    "would also ask whether you would argue for them, so say that plainly too."
)
#: In the debrief: how startup and large-company loops differ.
COMPANY_NOTE = (
    "A startup loop is shorter and looser (often a practical "
    "exercise in their stack and long talks with founders about ownership and pace), and one "
    "strong advocate can carry a decision. A large company runs a fixed set of rounds "
    "against a written rubric per level, calibrates interviewers, and a committee that never "
    "met you reads the notes, so every round must stand on its own evidence."
)

HIRE = "Hire"
LEAN_HIRE = "Lean hire"
LEAN_NO_HIRE = "Lean no hire"
NO_HIRE = "No hire"
NO_DECISION = "No decision"


@dataclass(frozen=True)
class RoundResult:
    """One round as the debrief reads it: its type, whether it was held, the interviewer's
    scores of the member (dimension name → 1..4, in rubric order) and verdict."""

    index: int
    interview_type: InterviewType
    held: bool
    when: datetime | None = None
    #: (dimension id, dimension name, score).
    scores: tuple[tuple[str, str, int], ...] = ()
    verdict: str | None = None
    #: Why a round was not held, as the member reads it (None: held, or not known).
    why: str | None = None

    @property
    def has_feedback(self) -> bool:
        """Whether the interviewer's scores came in."""
        return bool(self.scores) and self.verdict is not None


@dataclass(frozen=True)
class Debrief:
    """A loop's debrief, as stored and shown."""

    level: Level
    rounds: tuple[RoundResult, ...]
    recommendation: str
    reasoning: str
    #: (interview type, dimension name, mean score) of the weakest dimension, if any.
    weakest: tuple[InterviewType, str, float] | None
    practise: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        """The stored form (JSON)."""
        return {
            "level": self.level.value,
            "rounds": [
                {
                    "index": r.index,
                    "type": r.interview_type.value,
                    "held": r.held,
                    "when": r.when.isoformat() if r.when else None,
                    "scores": [list(s) for s in r.scores],
                    "verdict": r.verdict,
                    "why": r.why,
                }
                for r in self.rounds
            ],
            "recommendation": self.recommendation,
            "reasoning": self.reasoning,
            "weakest": (
                [self.weakest[0].value, self.weakest[1], self.weakest[2]] if self.weakest else None
            ),
            "practise": list(self.practise),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Debrief:
        """Read the stored form back."""
        weakest = data.get("weakest")
        return cls(
            level=Level(data["level"]),
            rounds=tuple(
                RoundResult(
                    index=int(r["index"]),
                    interview_type=InterviewType(r["type"]),
                    held=bool(r["held"]),
                    when=datetime.fromisoformat(r["when"]) if r.get("when") else None,
                    scores=tuple((str(a), str(b), int(c)) for a, b, c in r.get("scores", [])),
                    verdict=r.get("verdict"),
                    why=r.get("why"),
                )
                for r in data.get("rounds", [])
            ),
            recommendation=str(data["recommendation"]),
            reasoning=str(data["reasoning"]),
            weakest=(
                (InterviewType(weakest[0]), str(weakest[1]), float(weakest[2])) if weakest else None
            ),
            practise=tuple(str(p) for p in data.get("practise", [])),
        )


def _labels(rounds: list[RoundResult], verdict: str) -> str:
    return ", ".join(r.interview_type.label for r in rounds if r.verdict == verdict)


def recommend(rounds: tuple[RoundResult, ...], level: Level) -> tuple[str, str]:
    """The recommendation at ``level`` and the reasoning a hiring committee would give.

    The rules: any strong no is a no hire; two or more lean-nos are a no hire; a single lean-no
    is a lean hire only when another round is a strong yes (an advocate), else a lean no hire;
    all yes is a hire with at least one strong yes, a lean hire without. A round not held or
    without feedback leaves the loop incomplete: the decision reads the rounds that were.
    """
    scored = [r for r in rounds if r.has_feedback]
    missing = [r for r in rounds if not r.has_feedback]
    at = f"at {level.label}"
    if not scored:
        return NO_DECISION, (
            "No round came back with the interviewer's scores, so there is nothing to decide on. "
            "Start a new loop when your calendar has room for every round."
        )
    verdicts = [r.verdict for r in scored]
    strong_no, lean_no = verdicts.count("strong-no"), verdicts.count("lean-no")
    strong_yes = verdicts.count("strong-yes")
    n = len(scored)
    if strong_no:
        outcome = NO_HIRE
        why = (
            f"A strong no in {_labels(scored, 'strong-no')} decides it: a committee reads a "
            f"strong no as a clear gap {at} that strong rounds elsewhere do not cancel."
        )
    elif lean_no >= 2:
        outcome = NO_HIRE
        why = (
            f"{lean_no} of {n} rounds leaned no ({_labels(scored, 'lean-no')}): the concern "
            f"repeats across interviewers, so the signal {at} is consistently below the bar."
        )
    elif lean_no == 1 and strong_yes:
        outcome = LEAN_HIRE
        why = (
            f"One round leaned no ({_labels(scored, 'lean-no')}), but a strong yes in "
            f"{_labels(scored, 'strong-yes')} gives the loop an advocate; a committee would "
            f"likely hire {at} and ask the team to probe the weaker area."
        )
    elif lean_no == 1:
        outcome = LEAN_NO_HIRE
        why = (
            f"Mixed: one round leaned no ({_labels(scored, 'lean-no')}) and no round was a "
            f"strong yes, so nobody argues for you against the concern; most committees would "
            f"pass {at} or ask for one more round."
        )
    elif strong_yes:
        outcome = HIRE
        why = (
            f"Every scored round was a yes, with a strong yes in {_labels(scored, 'strong-yes')}: "
            f"a consistent signal {at}."
        )
    else:
        outcome = LEAN_HIRE
        why = (
            f"Every scored round leaned yes but none was a strong yes: hireable {at}, without an "
            "area that stood out. A committee may ask where you would raise the bar."
        )
    if missing:
        why += (
            f" {len(missing)} of {len(rounds)} rounds had no feedback "
            f"({', '.join(r.interview_type.label for r in missing)}), so a real committee would "
            "wait for them before deciding."
        )
    return outcome, why


def weakest_dimension(rounds: tuple[RoundResult, ...]) -> tuple[InterviewType, str, float] | None:
    """The dimension with the lowest mean score across the rounds (the earliest round wins a tie)."""
    best: tuple[float, int, InterviewType, str] | None = None
    for r in rounds:
        for _dim_id, name, score in r.scores:
            key = (float(score), r.index, r.interview_type, name)
            if best is None or key[:2] < best[:2]:
                best = key
    return None if best is None else (best[2], best[3], best[0])


def debrief_of(
    rounds: tuple[RoundResult, ...], level: Level, practise: tuple[str, ...] = ()
) -> Debrief:
    """The debrief of the rounds at ``level`` (``practise``: the prompts suggested next)."""
    outcome, why = recommend(rounds, level)
    return Debrief(level, rounds, outcome, why, weakest_dimension(rounds), practise)


def _round_text(r: RoundResult) -> str:
    if not r.held:
        return f"Not held: {r.why}" if r.why else "Not held."
    if not r.has_feedback:
        return "Held; the interviewer's scores did not come in."
    scores = ", ".join(f"{name} {score}/4" for _id, name, score in r.scores)
    return f"{VERDICT_LABELS.get(r.verdict or '', '—')}. {scores}"


def debrief_fields(debrief: Debrief) -> tuple[Field, ...]:
    """The debrief as message fields: the rounds side by side, the recommendation with its
    reasoning, the weakest dimension and what to practise, and the notes on loops."""
    fields = [
        Field(f"Round {r.index + 1}: {r.interview_type.label}", _round_text(r))
        for r in debrief.rounds
    ]
    fields.append(
        Field(
            f"Recommendation at {debrief.level.label}: {debrief.recommendation}",
            debrief.reasoning,
        )
    )
    if debrief.weakest is not None:
        kind, name, mean = debrief.weakest
        practise = "\n".join(f"- {p}" for p in debrief.practise)
        fields.append(
            Field(
                "Weakest across the loop, and what to practise next",
                f"**{name}** ({kind.label}), {mean:.1f}/4. Practise it with "
                f"`/mock schedule type:{kind.value}`" + (f":\n{practise}" if practise else "."),
            )
        )
    fields.append(Field("After a bad round mid-loop", RECOVERY_NOTE))
    fields.append(Field("Startup or large company", COMPANY_NOTE))
    return tuple(fields)


def digest_line(template_name: str, debrief: Debrief) -> str:
    """One line for the weekly digest: the loop's outcome and its weakest dimension."""
    line = f"{template_name}: {debrief.recommendation} at {debrief.level.label}"
    if debrief.weakest is not None:
        kind, name, _mean = debrief.weakest
        line += f"; work on {name} ({kind.label}) next"
    return line + ". `/mock loop status` has the whole debrief."

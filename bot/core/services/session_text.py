"""What sessions say: the announcement, reminders, the prompt, the interviewer guide."""

from __future__ import annotations

from bot.core.actions import encode
from bot.core.bank import VERDICT_LABELS, Prompt, Rubric
from bot.core.messages import Button, ButtonStyle, Field, OutboundMessage, Tone, ts
from bot.core.models import Member, Session
from bot.core.vocab import Level

MAX_ITEM = 1000


def _clip(text: str, limit: int = MAX_ITEM) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bullets(items: list[str], limit: int = MAX_ITEM) -> str:
    out: list[str] = []
    used = 0
    for item in items:
        line = f"- {item}"
        if used + len(line) + 1 > limit:
            out.append("- …")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def roles_line(session: Session, members: dict[str, Member]) -> str:
    first = members[session.interviewer_id].display_name
    second = members[session.candidate_id].display_name
    if session.swap:
        half = session.minutes // 2
        return f"{first} interviews {second} first; at half time ({half} min) you swap."
    return f"{first} interviews, {second} is the candidate."


def session_buttons(session: Session, *, confirm: bool = True) -> tuple[Button, ...]:
    buttons: list[Button] = []
    if confirm:
        buttons.append(Button("Confirm", encode("session.confirm", session.id), ButtonStyle.SUCCESS))
    buttons.append(Button("Reschedule", encode("session.reschedule", session.id), ButtonStyle.SECONDARY))
    buttons.append(Button("Can't make it", encode("session.cancel", session.id), ButtonStyle.DANGER))
    return tuple(buttons)


def announcement(session: Session, members: dict[str, Member], invite: bytes) -> OutboundMessage:
    a, b = members[session.interviewer_id], members[session.candidate_id]
    from bot.core.messages import Attachment

    reasons = "\n".join(f"- {r}" for r in session.match_reasons[:6])
    return OutboundMessage(
        title=f"Mock interview booked: {session.interview_type.label}",
        text=(
            f"{a.display_name} and {b.display_name}, you're paired.\n"
            f"**When:** {ts(session.start)} ({ts(session.start, 'R')}), {session.minutes} minutes.\n"
            f"**Roles:** {roles_line(session, members)}\n"
            "Please confirm, or tell your partner early if you can't make it."
            + (f"\n\nWhy this pairing:\n{reasons}" if reasons else "")
        ),
        tone=Tone.SUCCESS,
        buttons=session_buttons(session),
        attachments=(Attachment(f"peerloop-session-{session.id[:8]}.ics", invite, "text/calendar", "Calendar invite"),),
        ephemeral=False,
    )


def reminder(session: Session, members: dict[str, Member], minutes_before: int) -> OutboundMessage:
    when = f"{minutes_before // 60} hours" if minutes_before >= 120 else (
        "1 hour" if minutes_before == 60 else f"{minutes_before} minutes"
    )
    unconfirmed = [members[m].display_name for m in session.member_ids if m not in session.confirmed_by]
    text = f"Your {session.interview_type.label} session starts in about {when}: {ts(session.start)}."
    if unconfirmed:
        text += "\nNot confirmed yet: " + ", ".join(unconfirmed) + "."
    return OutboundMessage(
        title="Reminder",
        text=text,
        buttons=session_buttons(session, confirm=bool(unconfirmed)),
        ephemeral=False,
    )


def part_started(
    session: Session, members: dict[str, Member], part: int, prompt: Prompt, interviewer_id: str, candidate_id: str
) -> OutboundMessage:
    """Posted in the pair space: the candidate's statement only, never the guide."""
    interviewer = members[interviewer_id].display_name
    candidate = members[candidate_id].display_name
    label = f"Part {part}" if session.swap else "Session"
    return OutboundMessage(
        title=f"{label}: {prompt.title}",
        text=(
            f"{interviewer} interviews {candidate}. {interviewer}, your guide and rubric came privately.\n\n"
            f"{_clip(prompt.statement, 3000)}"
        ),
        ephemeral=False,
        buttons=(Button("Open interviewer guide", encode("guide.open", session.id, str(part)), ButtonStyle.SECONDARY),),
    )


def interviewer_guide(prompt: Prompt, rubric: Rubric, level: Level | None, reason: str | None) -> OutboundMessage:
    """The interviewer's private material: guide and rubric. Never sent to the candidate."""
    g = prompt.guide
    fields = [
        Field("When the candidate asks", _bullets([f"{c.question} → {c.answer}" for c in g.clarifications])),
        Field("Hints, gentle to strong", _bullets(list(g.hints))),
    ]
    if level is not None and level in g.follow_ups:
        fields.append(Field(f"Follow-ups ({level.label})", _bullets(list(g.follow_ups[level]))))
    fields.append(Field("A strong answer covers", _bullets(list(g.strong_answer))))
    fields.append(Field("Common mistakes", _bullets(list(g.common_mistakes))))
    fields.append(Field("Time plan (45 min)", _bullets([f"{b.minutes} min: {b.activity}" for b in g.time_plan])))
    dims = []
    for dim in rubric.dimensions:
        expectation = dim.expectations.get(level) if level else None
        dims.append(f"**{dim.name}** — 1: {_clip(dim.anchors[1], 90)} / 4: {_clip(dim.anchors[4], 90)}"
                    + (f" (at this level: {_clip(expectation, 120)})" if expectation else ""))
    fields.append(Field("Rubric (score each 1 to 4)", _bullets(dims)))
    fields.append(Field("Verdict at the target level", ", ".join(VERDICT_LABELS[v] for v in VERDICT_LABELS)))
    opening = reason or "This prompt fits your candidate's type, level and track."
    return OutboundMessage(
        title=_clip(f"Interviewer guide: {prompt.title}", 200),
        text=f"{opening}\nKeep this to yourself: the candidate only sees the statement.",
        fields=tuple(fields[:10]),
        ephemeral=True,
    )


def noshow_check(session: Session) -> OutboundMessage:
    return OutboundMessage(
        title="Is everyone here?",
        text="Ten minutes in. If your partner hasn't turned up, say so; it helps us pair you with "
        "reliable partners and gets you a priority rematch.",
        buttons=(
            Button("My partner is here", encode("session.here", session.id), ButtonStyle.SUCCESS),
            Button("My partner did not show", encode("session.noshow", session.id), ButtonStyle.DANGER),
        ),
        ephemeral=False,
    )


def feedback_request(session: Session, partner: Member, *, reminder: bool = False) -> OutboundMessage:
    text = (
        f"How did it go with {partner.display_name}? Your feedback is shown to them only when you "
        "have both submitted (or when the window closes in 72 hours)."
    )
    if reminder:
        text = f"A reminder: your feedback for {partner.display_name} is still open. " + text
    return OutboundMessage(
        title="Feedback time" if not reminder else "Feedback reminder",
        text=text,
        buttons=(Button("Give feedback", encode("feedback.open", session.id), ButtonStyle.PRIMARY),),
        ephemeral=True,
    )

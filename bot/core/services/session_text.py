"""What sessions say: the announcement, reminders, the prompt, the interviewer guide."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.core import room
from bot.core.actions import encode
from bot.core.bank import VERDICT_LABELS, Prompt, Rubric
from bot.core.guide_extras import interviewer_extras
from bot.core.mentions import mention, mentioning
from bot.core.messages import Button, ButtonStyle, Field, OutboundMessage, PictureRef, Tone, ts
from bot.core.models import Member, Session
from bot.core.report_models import report_button
from bot.core.services.session_plan import PRE_START_STATES
from bot.core.vocab import Level, level_note

MAX_ITEM = 1000


def _clip(text: str, limit: int = MAX_ITEM) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def roles_line(session: Session, members: dict[str, Member]) -> str:
    """Who interviews whom, and when they swap."""
    first = members[session.interviewer_id].display_name
    second = members[session.candidate_id].display_name
    if session.swap:
        half = session.minutes // 2
        return f"{first} interviews {second} first; at half time ({half} min) you swap."
    return f"{first} interviews, {second} is the candidate."


def room_text(session: Session) -> list[str]:
    """The session's call, voice channel and work-surface lines (only ever in messages to the
    pair)."""
    lines = room.room_lines(session.interview_type, session.call_url, session.work_url)
    if session.voice_url:
        lines.insert(1 if session.call_url else 0, f"**Voice channel:** {session.voice_url}")
    return lines


#: "My partner is here" is offered (and accepted) from this long before the start.
HERE_FROM_MINUTES = 60


def here_button(session: Session, label: str = "My partner is here") -> Button:
    """The "My partner is here" button: before the start it counts towards "Start now"; from ten minutes
    in it answers the no-show check."""
    return Button(label, encode("session.here", session.id), ButtonStyle.SUCCESS)


def done_button(session: Session) -> Button:
    """The "We're done" button, during the session; when both press it, the session ends at once."""
    return Button("We're done", encode("session.done", session.id), ButtonStyle.SECONDARY)


def start_now_button(session: Session, label: str = "Start now") -> Button:
    """The "Start now" button, offered once both members said their partner is here."""
    return Button(label, encode("session.start_now", session.id), ButtonStyle.PRIMARY)


def early_button(session: Session, member_id: str, now: datetime) -> Button | None:
    """What a list of the member's sessions (``/mock upcoming``, the App Home) offers within the
    hour before the start, labelled with the session's type: "My partner is here" until the
    member said so, then "Start now" once both did; else nothing."""
    if (
        session.state not in PRE_START_STATES
        or not session.start - timedelta(minutes=HERE_FROM_MINUTES) <= now < session.start
    ):
        return None
    label = session.interview_type.label
    if set(session.here_by) >= set(session.member_ids):
        return start_now_button(session, f"Start {label} now")
    if member_id not in session.here_by:
        return here_button(session, f"My partner is here ({label})")
    return None


def confirm_button(label: str, session: Session) -> Button:
    """A confirm button for this version of the session (its id carries ``Session.sequence``),
    so a press meant for a time since moved never confirms the new one."""
    return Button(
        label, encode("session.confirm", session.id, str(session.sequence)), ButtonStyle.SUCCESS
    )


def reschedule_button(label: str, session: Session, style: ButtonStyle) -> Button:
    """A "find another time" button for this version of the session: its id carries
    ``Session.sequence``, so a press meant for a time already moved (the same button pressed
    twice at once, or both members at once) moves the session once."""
    return Button(label, encode("session.reschedule", session.id, str(session.sequence)), style)


def session_buttons(
    session: Session, *, confirm: bool = True, here: bool = False
) -> tuple[Button, ...]:
    """The buttons under a session message: confirm (when asked), "My partner is here" (close
    to the start), reschedule and cancel, in that order."""
    buttons: list[Button] = []
    if confirm:
        buttons.append(confirm_button("Confirm", session))
    if here:
        buttons.append(here_button(session))
    buttons.append(reschedule_button("Reschedule", session, ButtonStyle.SECONDARY))
    buttons.append(
        Button("Can't make it", encode("session.cancel", session.id), ButtonStyle.DANGER)
    )
    return tuple(buttons)


def _soon(session: Session) -> bool:
    """A session booked to start within the hour (the live queue): "My partner is here" from the start."""
    booked = session.created_at
    return booked is not None and session.start - booked <= timedelta(minutes=HERE_FROM_MINUTES)


def announcement(
    session: Session, members: dict[str, Member], invite: PictureRef
) -> OutboundMessage:
    """The pair's announcement of a booked session, with its calendar invite (written when the
    announcement is delivered)."""
    a, b = members[session.interviewer_id], members[session.candidate_id]

    reasons = "\n".join(f"- {r}" for r in session.match_reasons[:6])
    return OutboundMessage(
        title=f"Mock interview booked: {session.interview_type.label}",
        text=(
            f"{mention(a)} and {mention(b)}, you're paired.\n"
            f"**When:** {ts(session.start)} ({ts(session.start, 'R')}), {session.minutes} minutes.\n"
            f"**Roles:** {roles_line(session, members)}\n"
            + "".join(f"{line}\n" for line in room_text(session))
            + "Please confirm, or tell your partner early if you can't make it."
            + (f"\n\nWhy this pairing:\n{reasons}" if reasons else "")
        ),
        tone=Tone.SUCCESS,
        buttons=session_buttons(session, here=_soon(session)),
        pictures=(invite,),
        ephemeral=False,
        mentions=mentioning(a, b),
    )


def reminder(session: Session, members: dict[str, Member], minutes_before: int) -> OutboundMessage:
    """The reminder ``minutes_before`` the start."""
    when = (
        f"{minutes_before // 60} hours"
        if minutes_before >= 120
        else ("1 hour" if minutes_before == 60 else f"{minutes_before} minutes")
    )
    unconfirmed = [members[m] for m in session.member_ids if m not in session.confirmed_by]
    text = (
        f"Your {session.interview_type.label} session starts in about {when}: {ts(session.start)}."
    )
    if unconfirmed:  # addressed to those who still need to confirm: they are mentioned
        text += "\nNot confirmed yet: " + ", ".join(mention(m) for m in unconfirmed) + "."
    return OutboundMessage(
        title="Reminder",
        text=text,
        buttons=session_buttons(
            session, confirm=bool(unconfirmed), here=minutes_before <= HERE_FROM_MINUTES
        ),
        ephemeral=False,
        mentions=mentioning(*unconfirmed),
    )


def part_started(
    session: Session,
    members: dict[str, Member],
    part: int,
    prompt: Prompt,
    interviewer_id: str,
    candidate_id: str,
) -> OutboundMessage:
    """Posted in the pair space: the candidate's statement only, never the guide.

    It is queued before the guide is delivered, so it says only what holds however the guide
    arrives (a direct message, or only this button when direct messages are closed)."""
    interviewer = members[interviewer_id].display_name
    candidate = members[candidate_id].display_name
    label = f"Part {part}" if session.swap else "Session"
    return OutboundMessage(
        title=f"{label}: {prompt.title}",
        text=(
            f"{interviewer} interviews {candidate}. {interviewer}, open the interviewer guide and rubric "
            "with the button below (only you can).\n"
            + "".join(f"{line}\n" for line in (room_text(session) if part == 1 else ()))
            + f"\n{_clip(prompt.statement, 3000)}"
        ),
        ephemeral=False,
        buttons=(
            Button(
                "Open interviewer guide",
                encode("guide.open", session.id, str(part)),
                ButtonStyle.SECONDARY,
            ),
            done_button(session),
        ),
    )


#: What one guide page may hold: Discord's embed total is 6,000 characters; a page keeps to
#: this budget (title, text and fields together) and to at most 10 fields.
GUIDE_PAGE_BUDGET = 5200
GUIDE_PAGE_FIELDS = 10


def _split_fields(name: str, items: list[str]) -> list[Field]:
    """A bulleted list as one field, or several ("… (cont.)") when it is longer than a field."""
    fields: list[Field] = []
    lines: list[str] = []
    for item in items:
        line = _clip(f"- {item}")
        if lines and len("\n".join([*lines, line])) > MAX_ITEM:
            fields.append(Field(name if not fields else f"{name} (cont.)", "\n".join(lines)))
            lines = []
        lines.append(line)
    if lines:
        fields.append(Field(name if not fields else f"{name} (cont.)", "\n".join(lines)))
    return fields


def _guide_sections(prompt: Prompt, rubric: Rubric, level: Level | None) -> list[Field]:
    """Every part of the interviewer's material, in reading order; long lists span fields."""
    g = prompt.guide
    top, extras = interviewer_extras(prompt)
    sections = [
        *(field for title, items in top for field in _split_fields(title, items)),
        *_split_fields(
            "When the candidate asks", [f"{c.question} → {c.answer}" for c in g.clarifications]
        ),
        *_split_fields("Hints, gentle to strong", list(g.hints)),
    ]
    if level is not None and level in g.follow_ups:
        sections += _split_fields(f"Follow-ups ({level.label})", list(g.follow_ups[level]))
    others = [lv for lv in g.follow_ups if lv != level]
    if others:
        sections += _split_fields(
            "Follow-ups at other levels",
            [level_note(lv, " / ".join(g.follow_ups[lv])) for lv in others],
        )
    sections += _split_fields("A strong answer covers", list(g.strong_answer))
    if g.level_differences:
        sections += _split_fields(
            "How answers differ by level",
            [level_note(lv, text) for lv, text in g.level_differences.items()],
        )
    sections += _split_fields("Common mistakes", list(g.common_mistakes))
    sections += _split_fields(
        "Time plan (45 min)", [f"{b.minutes} min: {b.activity}" for b in g.time_plan]
    )
    if prompt.coding is not None:
        c = prompt.coding
        sections += _split_fields(
            "Examples",
            [
                f"{e.input} → {e.output}" + (f" ({e.explanation})" if e.explanation else "")
                for e in c.examples
            ],
        )
        sections += _split_fields("Test cases", list(c.test_cases))
        sections += _split_fields(
            "Approaches, naive to better",
            [f"{a.name} — {a.description} Time {a.time}, space {a.space}." for a in c.approaches],
        )
    if prompt.behavioral is not None:
        sections += _split_fields("What this question probes", list(prompt.behavioral.probes))
        sections += _split_fields("STAR probes", list(prompt.behavioral.star_probes))
    if prompt.design is not None:
        sections += _split_fields("Scale figures", list(prompt.design.scale))
        sections += _split_fields("Deep-dive options", list(prompt.design.deep_dives))
    for title, items in extras:
        sections += _split_fields(title, items)
    for dim in rubric.dimensions:
        lines = [f"{score}: {dim.anchors[score]}" for score in sorted(dim.anchors)]
        expectation = dim.expectations.get(level) if level else None
        if expectation:
            lines.append(f"At {level.label if level else 'this level'}: {expectation}")
        sections.append(
            Field(_clip(f"Rubric: {dim.name} (score 1 to 4)", 200), _clip("\n".join(lines)))
        )
    sections += _split_fields(
        "Verdict at the target level",
        [f"{VERDICT_LABELS[v]}: {text}" for v, text in rubric.verdict_guidance.items()],
    )
    return sections


def interviewer_guide_pages(
    prompt: Prompt,
    rubric: Rubric,
    level: Level | None,
    reason: str | None,
    *,
    session_id: str | None = None,
    part: int | None = None,
) -> list[OutboundMessage]:
    """The interviewer's private material — guide, prompt extras and the whole rubric — as
    pages that each fit every platform. Never sent to the candidate.

    With ``session_id`` and ``part``, each page carries buttons to the others (for the
    "Open interviewer guide" fallback, which answers one page at a time).
    """
    opening = reason or "This prompt fits your candidate's type, level and track."
    text = f"{opening}\nKeep this to yourself: the candidate only sees the statement."
    pages: list[list[Field]] = [[]]
    used = len(text) + len(prompt.title) + 60
    for section in _guide_sections(prompt, rubric, level):
        size = len(section.name) + len(section.value)
        if pages[-1] and (used + size > GUIDE_PAGE_BUDGET or len(pages[-1]) >= GUIDE_PAGE_FIELDS):
            pages.append([])
            used = len(prompt.title) + 60
        pages[-1].append(section)
        used += size
    count = len(pages)
    out = []
    for number, fields in enumerate(pages, 1):
        buttons: tuple[Button, ...] = ()
        if session_id is not None and part is not None and count > 1:
            buttons = tuple(
                Button(
                    f"Page {other}",
                    encode("guide.open", session_id, str(part), str(other)),
                    ButtonStyle.SECONDARY,
                )
                for other in range(1, count + 1)
                if other != number
            )[:5]
        suffix = f" ({number}/{count})" if count > 1 else ""
        out.append(
            OutboundMessage(
                title=_clip(f"Interviewer guide: {prompt.title}", 200 - len(suffix)) + suffix,
                text=text
                if number == 1
                else f"Part of the guide for {prompt.title}. Keep it to yourself.",
                fields=tuple(fields),
                buttons=buttons,
                ephemeral=True,
            )
        )
    return out


def noshow_check(session: Session) -> OutboundMessage:
    """The no-show check posted ten minutes in."""
    return OutboundMessage(
        title="Is everyone here?",
        text="Ten minutes in. If your partner hasn't turned up, say so; it helps us pair you with "
        "reliable partners and gets you a priority rematch.",
        buttons=(
            here_button(session),
            Button(
                "My partner did not show", encode("session.noshow", session.id), ButtonStyle.DANGER
            ),
        ),
        ephemeral=False,
    )


def feedback_request(
    session: Session, partner: Member, closes: datetime, *, reminder: bool = False
) -> OutboundMessage:
    """The message asking a member for feedback on ``partner`` (or reminding them)."""
    text = (
        f"How did it go with {partner.display_name}? Your feedback is shown to them only when you "
        f"have both submitted, or when the window closes {ts(closes)}."
    )
    if reminder:
        text = f"A reminder: your feedback for {partner.display_name} is still open. " + text
    return OutboundMessage(
        title="Feedback time" if not reminder else "Feedback reminder",
        text=text,
        buttons=(
            Button("Give feedback", encode("feedback.open", session.id), ButtonStyle.PRIMARY),
            report_button(session.id),
        ),
        ephemeral=True,
    )

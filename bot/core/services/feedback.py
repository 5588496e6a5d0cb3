"""Feedback after a session: the forms, validation, edits until the reveal, and the reveal.

Each part of a session has two forms: the interviewer's (rubric scores, verdict, where help
is needed most, strengths, improvements, a private note for admins) and the candidate's
(private self-scores on the same dimensions, a rating of the interviewer and of the prompt).
Neither side sees the other's form until both have submitted that part, or until the
feedback window closes (72 hours after the end), whichever comes first.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from bot.core.actions import Action, encode
from bot.core.bank import VERDICT_LABELS, VERDICTS, Rubric
from bot.core.clock import Clock
from bot.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.core.feedback_models import INTERVIEWER_RATINGS, Feedback, FeedbackRole
from bot.core.messages import (
    Button,
    ButtonStyle,
    Field,
    FormSpec,
    FormValues,
    OutboundMessage,
    Tone,
    quote,
    ts,
)
from bot.core.models import Member, Session, SessionState
from bot.core.packs import prompts_for
from bot.core.ports import PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.services.actor import Actor, new_id
from bot.core.services.feedback_forms import (
    MAX_NOTE,
    MAX_STRENGTHS,
    MIN_STRENGTHS,
    NO_HELP,
    FormSlot,
    candidate_inputs,
    clip_text,
    interviewer_inputs,
    paginate,
    slots_for,
    window_end,
)
from bot.core.services.outbox import queue_direct


def _one(values: FormValues, key: str) -> str:
    raw = values.get(key)
    if raw is None:
        return ""
    if isinstance(raw, tuple):
        return raw[0].strip() if raw else ""
    return raw.strip()


#: Runs in the transaction that revealed feedback of a session, after the reveal.
RevealHook = Callable[[UnitOfWork, Session, datetime], Awaitable[None]]


class FeedbackService:
    """Feedback after a session: the forms each member fills, their submission, the reveal when
    both wrote or the window closed, and ``/mock feedback``."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        prompts: PromptSource,
        *,
        on_reveal: RevealHook | None = None,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._prompts = prompts
        #: Runs in the transaction that revealed a session's feedback (a mock loop's debrief).
        self._on_reveal = on_reveal

    # -- loading -------------------------------------------------------------------------

    async def _load(self, tx: UnitOfWork, actor: Actor, session_id: str) -> Session:
        session = await tx.sessions.get_for_update(session_id)
        if session is None:
            raise NotFound("That session does not exist any more.")
        if actor.member.id not in session.member_ids:
            raise PermissionDenied(
                "That session is not yours: only its two members give feedback on it."
            )
        if session.state is not SessionState.COMPLETED:
            raise Conflict("Feedback opens when the session has ended.")
        return session

    def _rubric(self, session: Session, part: int) -> Rubric:
        if part > len(session.prompt_ids):
            raise NotFound(
                "That part of the session has no question, so there is nothing to score."
            )
        prompts = prompts_for(self._prompts, session.community_id)
        return prompts.rubric(prompts.get(session.prompt_ids[part - 1]).rubric)

    def form_for(
        self, session: Session, slot: FormSlot, partner: Member, old: Feedback | None
    ) -> FormSpec:
        """The form for one slot of a session, prefilled with what the member wrote before."""
        rubric = self._rubric(session, slot.part)
        label = f"part {slot.part}" if session.swap else "the session"
        if slot.role is FeedbackRole.INTERVIEWER:
            inputs = interviewer_inputs(rubric, old)
            title = f"Feedback for {partner.display_name}"
            intro = (
                f"You interviewed {partner.display_name} in {label}. They see this when you have "
                f"both submitted, or when the window closes {ts(window_end(session))}. "
                "You can edit it until then."
            )
        else:
            inputs = candidate_inputs(rubric, old)
            title = "Your self-review"
            intro = (
                f"{partner.display_name} interviewed you in {label}. Your self-scores stay private; "
                "your rating helps good interviewers get matched. You can edit it until the reveal."
            )
        return FormSpec(
            action=slot.action(session.id),
            title=clip_text(title, 45),
            pages=paginate(clip_text(title, 30), inputs),
            intro=intro,
            submit_label="Submit feedback",
        )

    # -- opening a form ------------------------------------------------------------------

    async def open_form(
        self,
        actor: Actor,
        session_id: str,
        part: int | None = None,
        role: FeedbackRole | None = None,
    ) -> OutboundMessage:
        """The member's feedback form for a session part (the first one still owed when none is
        named)."""
        now = self._clock.now()
        async with self._uow() as tx:
            session = await self._load(tx, actor, session_id)
            members = await tx.members.get_many(session.member_ids)
            existing = {
                (f.part, f.role): f
                for f in await tx.feedback.for_session(session.id)
                if f.author_id == actor.member.id
            }
        if now > window_end(session):
            raise Conflict(
                f"The feedback window for this session closed {ts(window_end(session))}."
            )
        slots = slots_for(session, actor.member.id)
        if part is not None:
            slots = [s for s in slots if s.part == part and (role is None or s.role is role)]
            if not slots:
                raise PermissionDenied("You were not in that role in that part of the session.")
        chosen = next((s for s in slots if (s.part, s.role) not in existing), slots[0])
        old = existing.get((chosen.part, chosen.role))
        if old is not None and old.revealed_at is not None:
            raise Conflict(
                "That feedback has already been shared, so it can't be changed any more."
            )
        partner = members[chosen.partner_id]
        form = self.form_for(session, chosen, partner, old)
        lines = []
        buttons = []
        for s in slots:
            state = "submitted" if (s.part, s.role) in existing else "to do"
            what = (
                f"Part {s.part}: you as {s.role.value}"
                if session.swap
                else f"You as {s.role.value}"
            )
            lines.append(f"- {what} ({state})")
            buttons.append(
                Button(
                    f"{what}: {'edit' if state == 'submitted' else 'open'}",
                    encode("feedback.open", session.id, str(s.part), s.role.value),
                    ButtonStyle.PRIMARY if state == "to do" else ButtonStyle.SECONDARY,
                )
            )
        return OutboundMessage(
            title=f"Feedback: {session.interview_type.label} with {members[session.partner_of(actor.member.id)].display_name}",
            text="\n".join(lines) + f"\nOpen until {ts(window_end(session))}.",
            buttons=tuple(buttons) if len(buttons) > 1 else (),
            form=form,
        )

    # -- submitting ----------------------------------------------------------------------

    def parse(self, session: Session, slot: FormSlot, values: FormValues) -> dict[str, object]:
        """Every value checked; all problems reported at once, naming what is accepted."""
        rubric = self._rubric(session, slot.part)
        build = interviewer_inputs if slot.role is FeedbackRole.INTERVIEWER else candidate_inputs
        known = {i.id for i in build(rubric, None)}
        problems: list[str] = []
        unknown = sorted(set(values) - known)
        if unknown:
            problems.append(f"Unknown field(s): {', '.join(unknown)}.")
        out: dict[str, object] = {}

        by_input: dict[str, str] = {}

        def problem(key: str, text: str) -> None:
            problems.append(text)
            by_input.setdefault(key, text)

        def score(key: str, label: str) -> int | None:
            raw = _one(values, key)
            if raw not in ("1", "2", "3", "4"):
                shown = f"“{quote(raw)}”" if raw else "nothing"
                problem(key, f"{label}: got {shown}; accepted: 1, 2, 3 or 4.")
                return None
            return int(raw)

        def text(key: str, label: str, *, required: bool, low: int, high: int) -> str:
            raw = _one(values, key)
            if not raw and not required:
                return ""
            if len(raw) < low or len(raw) > high:
                problem(
                    key, f"{label}: {len(raw)} characters; accepted: {low} to {high} characters."
                )
            return raw

        if slot.role is FeedbackRole.INTERVIEWER:
            out["scores"] = {d.id: score(f"score.{d.id}", d.name) for d in rubric.dimensions}
            verdict = _one(values, "verdict")
            if verdict not in VERDICTS:
                problem(
                    "verdict", f"Verdict: got “{quote(verdict)}”; accepted: {', '.join(VERDICTS)}."
                )
            out["verdict"] = verdict
            help_needed = _one(values, "help_needed")
            allowed = [d.id for d in rubric.dimensions] + [NO_HELP]
            if help_needed not in allowed:
                problem(
                    "help_needed",
                    f"Where practice would help most: got “{quote(help_needed)}”; accepted: {', '.join(allowed)}.",
                )
            out["help_needed"] = help_needed
            out["strengths"] = text(
                "strengths", "Strengths", required=True, low=MIN_STRENGTHS, high=MAX_STRENGTHS
            )
            out["improvements"] = text(
                "improvements",
                "What to improve",
                required=True,
                low=MIN_STRENGTHS,
                high=MAX_STRENGTHS,
            )
            out["admin_note"] = (
                text("admin_note", "Private note for admins", required=False, low=0, high=MAX_NOTE)
                or None
            )
        else:
            out["scores"] = {
                d.id: score(f"self.{d.id}", f"Your score for {d.name}") for d in rubric.dimensions
            }
            out["interviewer_ratings"] = {
                k: score(f"rate.{k}", f"Interviewer: {label}")
                for k, label in INTERVIEWER_RATINGS.items()
            }
            out["prompt_quality"] = score("prompt_quality", "Quality of the question")
            out["improvements"] = text(
                "improvements", "Tip for your interviewer", required=False, low=0, high=MAX_NOTE
            )
        if problems:
            raise InvalidInput(
                "feedback",
                "Nothing was saved. Please fix:\n" + "\n".join(f"- {p}" for p in problems),
                fields=by_input,
            )
        return out

    async def submit(
        self, actor: Actor, session_id: str, part: int, role: FeedbackRole, values: FormValues
    ) -> OutboundMessage:
        """Save a submitted form (editable until the reveal); reveals the part when both forms
        are in."""
        now = self._clock.now()
        async with self._uow() as tx:
            session = await self._load(tx, actor, session_id)
            slot = next(
                (
                    s
                    for s in slots_for(session, actor.member.id)
                    if s.part == part and s.role is role
                ),
                None,
            )
            if slot is None:
                raise PermissionDenied("You were not in that role in that part of the session.")
            if now > window_end(session):
                raise Conflict(
                    f"The feedback window for this session closed {ts(window_end(session))}."
                )
            parsed = self.parse(session, slot, values)
            old = await tx.feedback.get(session.id, part, actor.member.id, role)
            fb = Feedback(
                id=old.id if old else new_id(),
                session_id=session.id,
                part=part,
                author_id=actor.member.id,
                subject_id=slot.partner_id,
                role=role,
                scores=dict(parsed["scores"]),  # type: ignore[call-overload]
                submitted_at=old.submitted_at if old else now,
                updated_at=now,
                verdict=parsed.get("verdict"),  # type: ignore[arg-type]
                help_needed=parsed.get("help_needed"),  # type: ignore[arg-type]
                strengths=str(parsed.get("strengths", "")),
                improvements=str(parsed.get("improvements", "")),
                admin_note=parsed.get("admin_note"),  # type: ignore[arg-type]
                interviewer_ratings=dict(parsed.get("interviewer_ratings", {})),  # type: ignore[call-overload]
                prompt_quality=parsed.get("prompt_quality"),  # type: ignore[arg-type]
            )
            if old is not None and old.same_content(fb):
                return OutboundMessage(text="Already received; nothing changed.", tone=Tone.SUCCESS)
            if old is not None and old.revealed_at is not None:
                raise Conflict(
                    "That feedback has already been shared, so it can't be changed any more."
                )
            await tx.feedback.save(fb)
            revealed = await self._reveal_part_if_complete(tx, session, part, now)
        if revealed:
            return OutboundMessage(
                text="Thanks! You have both submitted, so your feedback has been shared "
                "with each other. Check your direct messages.",
                tone=Tone.SUCCESS,
            )
        verb = "Updated" if old else "Thanks, saved"
        return OutboundMessage(
            text=f"{verb}. It is shared when your partner submits theirs, or {ts(window_end(session))} "
            "at the latest. You can edit it until then.",
            tone=Tone.SUCCESS,
        )

    # -- the reveal ----------------------------------------------------------------------

    async def _reveal_part_if_complete(
        self, tx: UnitOfWork, session: Session, part: int, now: datetime
    ) -> bool:
        rows = [f for f in await tx.feedback.for_session(session.id) if f.part == part]
        if {f.role for f in rows} != {FeedbackRole.INTERVIEWER, FeedbackRole.CANDIDATE}:
            return False
        await self._reveal(tx, session, rows, now)
        return True

    async def _reveal(
        self, tx: UnitOfWork, session: Session, rows: Sequence[Feedback], now: datetime
    ) -> None:
        pending = [f for f in rows if f.revealed_at is None]
        if not pending:
            return
        members = await tx.members.get_many(session.member_ids)
        await tx.feedback.mark_revealed([f.id for f in pending], now)
        for fb in pending:
            author = members.get(fb.author_id)
            if author is None or fb.subject_id not in members:
                continue
            await queue_direct(
                tx,
                key=f"feedback:{session.id}:{fb.part}:{fb.role.value}:reveal",
                community_id=session.community_id,
                member_id=fb.subject_id,
                now=now,
                private=True,
                session_id=session.id,
                message=self.reveal_message(session, fb, author),
            )
        if self._on_reveal is not None:
            await self._on_reveal(tx, session, now)

    def reveal_message(self, session: Session, fb: Feedback, author: Member) -> OutboundMessage:
        """What the subject sees. Never the admin note; never the candidate's self-scores."""
        rubric = self._rubric(session, fb.part)
        label = f" (part {fb.part})" if session.swap else ""
        if fb.role is FeedbackRole.INTERVIEWER:
            dims = "\n".join(f"- {d.name}: {fb.scores.get(d.id, '?')}/4" for d in rubric.dimensions)
            help_text = (
                "nothing in particular"
                if fb.help_needed in (None, NO_HELP)
                else rubric.dimension(fb.help_needed or "").name
            )
            fields = (
                Field("Scores", dims),
                Field("Verdict at your target level", VERDICT_LABELS.get(fb.verdict or "", "—")),
                Field("Practice would help most with", help_text),
                Field("Strengths", clip_text(fb.strengths, 1000)),
                Field("What to improve", clip_text(fb.improvements, 1000)),
            )
            return OutboundMessage(
                title=f"Feedback from {author.display_name}{label}",
                text=f"Your {session.interview_type.label} session on {ts(session.start, 'D')}.",
                fields=fields,
                ephemeral=False,
            )
        ratings = "\n".join(
            f"- {label_}: {fb.interviewer_ratings.get(k, '?')}/4"
            for k, label_ in INTERVIEWER_RATINGS.items()
        )
        fields_c = [Field("How you did as interviewer", ratings)]
        if fb.improvements:
            fields_c.append(Field("A tip from your candidate", clip_text(fb.improvements, 1000)))
        return OutboundMessage(
            title=f"{author.display_name} rated your interviewing{label}",
            text=f"Your {session.interview_type.label} session on {ts(session.start, 'D')}.",
            fields=tuple(fields_c),
            ephemeral=False,
        )

    # -- hooks for the step runner -------------------------------------------------------

    async def owed_for_session(self, tx: UnitOfWork, session: Session) -> Sequence[str]:
        """The members who still owe a form for the session."""
        rows = await tx.feedback.for_session(session.id)
        done = {(f.part, f.role, f.author_id) for f in rows}
        owed: list[str] = []
        for member_id in session.member_ids:
            if any((s.part, s.role, member_id) not in done for s in slots_for(session, member_id)):
                owed.append(member_id)
        return owed

    async def close_window(self, tx: UnitOfWork, session: Session, now: datetime) -> None:
        """The window closed: share whatever was submitted (idempotent: revealed rows are skipped)."""
        await self._reveal(tx, session, await tx.feedback.for_session(session.id), now)

    # -- /mock feedback ------------------------------------------------------------------

    async def owed(self, actor: Actor) -> OutboundMessage:
        """``/mock feedback``: the sessions whose feedback the member can still write, with
        buttons."""
        now = self._clock.now()
        async with self._uow() as tx:
            sessions = [
                s
                for s in await tx.sessions.for_member(actor.member.id)
                if s.state is SessionState.COMPLETED and now <= window_end(s)
            ]
            partners = await tx.members.get_many([s.partner_of(actor.member.id) for s in sessions])
            owing = [s for s in sessions if actor.member.id in await self.owed_for_session(tx, s)]
        if not owing:
            return OutboundMessage(
                text="You owe no feedback right now. Thank you!", tone=Tone.SUCCESS
            )
        fields = tuple(
            Field(
                f"{s.interview_type.label} with {partners[s.partner_of(actor.member.id)].display_name}",
                f"Session {ts(s.start)}; open until {ts(window_end(s))}.",
            )
            for s in owing[:10]
        )
        buttons = tuple(
            Button(
                clip_text(
                    f"Feedback for {partners[s.partner_of(actor.member.id)].display_name}", 75
                ),
                encode("feedback.open", s.id),
                ButtonStyle.PRIMARY,
            )
            for s in owing[:5]
        )
        return OutboundMessage(
            title="Feedback you owe",
            text=f"{len(owing)} session(s) waiting for your feedback.",
            fields=fields,
            buttons=buttons,
        )

    # -- routing -------------------------------------------------------------------------

    async def on_action(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """Handle a feedback button or form submission."""
        if action.verb == "feedback.open":
            part = _part(action.args[1]) if len(action.args) > 1 else None
            role = _role(action.args[2]) if len(action.args) > 2 else None
            return await self.open_form(actor, action.arg(0), part, role)
        if action.verb == "feedback.submit":
            return await self.submit(
                actor, action.arg(0), _part(action.arg(1)), _role(action.arg(2)), values
            )
        raise NotFound("Unknown feedback action.")


def _part(raw: str) -> int:
    if raw not in ("1", "2"):
        raise NotFound("That part of the session does not exist.")
    return int(raw)


def _role(raw: str) -> FeedbackRole:
    try:
        return FeedbackRole(raw)
    except ValueError:
        raise NotFound("That feedback form does not exist.") from None

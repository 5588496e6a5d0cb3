"""Mock loops: ``/mock loop start``, ``status`` and ``cancel``, and the debrief at the end.

A loop books one ordinary request per round (tagged with the loop, its window a slice of the
loop's span), so the ordinary matching rounds pair and book every round; the rounds prefer a
partner the member has not met in the loop (:meth:`LoopService.partner_history`). The debrief
is written when every round's feedback is revealed (:meth:`LoopService.after_reveal`) or when
the loop's span and its last feedback window have passed (a ``LOOP_DEBRIEF`` step).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.actions import Action, encode
from bot.core.availability import candidate_starts
from bot.core.clock import Clock
from bot.core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from bot.core.loop_debrief import Debrief, RoundResult, debrief_of
from bot.core.loop_models import LOOP_DAYS, Loop, LoopStatus, LoopTemplate
from bot.core.messages import (
    Button,
    ButtonStyle,
    Field,
    FormValues,
    OutboundMessage,
    Tone,
    quote,
    ts,
)
from bot.core.models import (
    ActionKind,
    InterviewRequest,
    RequestStatus,
    ScheduledAction,
    Session,
)
from bot.core.packs import community_prompts
from bot.core.ports import PromptSource, UnitOfWork, UnitOfWorkFactory
from bot.core.services.actor import Actor, new_id
from bot.core.services.feedback_forms import FEEDBACK_WINDOW
from bot.core.services.loop_debriefs import debrief_message, practise, round_results
from bot.core.services.outbox import queue_direct
from bot.core.services.rounds import (
    community_open_for_matching,
    member_to_match,
    require_schedulable,
    schedule_next_round,
)
from bot.core.services.session_steps import DONE, StepOutcome
from bot.core.vocab import Level, RolePreference
from bot.matching.model import pair_key

__all__ = ["LOOP_CANCEL", "LoopService"]

#: The "Cancel loop" button's verb (``loop.cancel:<loop id>``).
LOOP_CANCEL = "loop.cancel"


class LoopService:
    """Mock loops: booking one (requests per round), its status, cancelling it, its debrief."""

    def __init__(
        self,
        uow: UnitOfWorkFactory,
        clock: Clock,
        prompts: PromptSource,
        templates: Mapping[str, LoopTemplate],
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._prompts = prompts
        self.templates = dict(templates)

    # -- templates ----------------------------------------------------------------------------

    def template_choices(self, current: str = "") -> list[tuple[str, str]]:
        """(label, id) of the templates whose id, name or track contains ``current``."""
        key = current.strip().lower()
        return [
            (f"{t.name} ({len(t.rounds)} rounds)", t.id)
            for t in sorted(self.templates.values(), key=lambda t: t.id)
            if key in t.id or key in t.name.lower() or key in t.track
        ]

    def _template(self, name: str) -> LoopTemplate:
        key = name.strip().lower()
        found = self.templates.get(key) or next(
            (t for t in self.templates.values() if t.name.lower() == key), None
        )
        if found is None:
            raise InvalidInput(
                "template",
                f"“{quote(name)}” is not a loop template.",
                accepted=", ".join(sorted(self.templates)),
            )
        return found

    # -- /mock loop start ---------------------------------------------------------------------

    async def start(
        self, actor: Actor, template: str, level: Level | None = None, days: int | None = None
    ) -> OutboundMessage:
        """Book a loop: one request per round, windows spread over the span, a debrief step."""
        now = self._clock.now()
        async with self._uow() as tx:
            community = await community_open_for_matching(tx, actor.community.id)
            member = await member_to_match(tx, actor.member.id)
            chosen = self._template(template)
            span = days if days is not None else chosen.days
            if not LOOP_DAYS[0] <= span <= LOOP_DAYS[1]:
                raise InvalidInput(
                    "days", f"{span} days is outside a loop's span.", accepted="7 to 14"
                )
            require_schedulable(member, "booking a loop")
            assert member.timezone is not None and member.availability is not None
            target = level or member.level or Level.MID
            offered = await community_prompts(self._prompts, tx, community)
            off = [t.label for t in chosen.types if not offered.prompts(t)]
            if off:
                raise Conflict(
                    f"{', '.join(off)} interviews are switched off in this community, so the "
                    f"{chosen.name} loop cannot run here."
                )
            if any(
                loop.status is LoopStatus.ACTIVE for loop in await tx.loops.for_member(member.id)
            ):
                raise Conflict(
                    "You already have a loop running. See it with `/mock loop status`, or "
                    "cancel it with `/mock loop cancel`."
                )
            taken = {r.interview_type for r in await tx.requests.open_for_member(member.id)}
            clash = [t.label for t in chosen.types if t in taken]
            if clash:
                raise Conflict(
                    f"You already have an open {', '.join(clash)} request. Cancel it with "
                    "`/mock cancel` first: the loop books its own."
                )
            end = now + timedelta(days=span)
            slice_ = (end - now) / len(chosen.rounds)
            windows = [
                (now + slice_ * k, now + slice_ * (k + 1)) for k in range(len(chosen.rounds))
            ]
            for (a, b), kind in zip(windows, chosen.types, strict=True):
                starts = candidate_starts(
                    member.availability,
                    ZoneInfo(member.timezone),
                    a,
                    b,
                    session_minutes=community.settings.session_minutes,
                    blackouts=member.blackouts,
                )
                if not starts:
                    raise InvalidInput(
                        "days",
                        f"Your availability leaves no start time for the {kind.label} round "
                        f"({ts(a, 'D')} to {ts(b, 'D')}).",
                        accepted="a longer loop (up to 14 days) or more availability via "
                        "`/mock availability`",
                    )
            loop = Loop(
                id=new_id(),
                community_id=community.id,
                member_id=member.id,
                template_id=chosen.id,
                template_name=chosen.name,
                track=member.track or chosen.track,
                level=target,
                rounds=chosen.types,
                starts_at=now,
                ends_at=end,
                created_at=now,
            )
            await tx.loops.add(loop)
            for (a, b), kind in zip(windows, chosen.types, strict=True):
                await tx.requests.add(
                    InterviewRequest(
                        id=new_id(),
                        community_id=community.id,
                        member_id=member.id,
                        interview_type=kind,
                        role=RolePreference.SWAP,  # the member interviews in return
                        window_start=a,
                        window_end=b,
                        created_at=now,
                        loop_id=loop.id,
                    )
                )
            await tx.actions.add(
                ScheduledAction(
                    id=new_id(),
                    key=f"loop:{loop.id}:debrief",
                    kind=ActionKind.LOOP_DEBRIEF,
                    community_id=community.id,
                    due_at=end + timedelta(hours=2) + FEEDBACK_WINDOW,
                    payload={"loop_id": loop.id},
                )
            )
            await schedule_next_round(tx, community, now)
        lines = [
            f"{k + 1}. **{kind.label}** between {ts(a, 'D')} and {ts(b, 'D')}"
            + (f": {quote(r.focus, 200)}" if r.focus else "")
            for k, ((a, b), kind, r) in enumerate(
                zip(windows, chosen.types, chosen.rounds, strict=True)
            )
        ]
        return OutboundMessage(
            title=f"Loop booked: {chosen.name}",
            text=(
                f"{len(chosen.rounds)} rounds at **{target.label}** over {span} days, "
                f"until {ts(end, 'D')}. Each round is an ordinary session with a different "
                "partner where possible; you'll get a message as each is paired.\n"
                + "\n".join(lines)
                + "\nAt the end you get a debrief: every round side by side and a recommendation."
                + (f"\n\n{quote(chosen.company_notes, 800)}" if chosen.company_notes else "")
            ),
            tone=Tone.SUCCESS,
            buttons=(Button("Cancel loop", encode(LOOP_CANCEL, loop.id), ButtonStyle.DANGER),),
        )

    # -- /mock loop status and cancel ---------------------------------------------------------

    async def status(self, actor: Actor) -> OutboundMessage:
        """The member's latest loop: each round's state, or its debrief once written."""
        async with self._uow() as tx:
            loops = await tx.loops.for_member(actor.member.id)
            if not loops:
                return OutboundMessage(
                    title="Mock loops",
                    text="You have no loop yet. Book one with `/mock loop start template:…` "
                    f"({', '.join(sorted(self.templates))}).",
                )
            loop = loops[0]
            if loop.debrief is not None:
                return self.debrief_message(loop)
            rounds = await round_results(tx, self._prompts, loop)
        state = "cancelled" if loop.status is LoopStatus.CANCELLED else "running"
        fields = tuple(
            Field(f"Round {r.index + 1}: {r.interview_type.label}", _round_state(r)) for r in rounds
        )
        buttons = (
            (Button("Cancel loop", encode(LOOP_CANCEL, loop.id), ButtonStyle.DANGER),)
            if loop.status is LoopStatus.ACTIVE
            else ()
        )
        return OutboundMessage(
            title=f"{loop.template_name} ({state})",
            text=f"At {loop.level.label}, {ts(loop.starts_at, 'D')} to {ts(loop.ends_at, 'D')}. "
            "The debrief comes when every round's feedback is in, or when the loop ends.",
            fields=fields,
            buttons=buttons,
        )

    async def cancel(self, actor: Actor, loop_id: str | None = None) -> OutboundMessage:
        """Cancel the member's running loop: its open rounds' requests are withdrawn; rounds
        already booked stay as ordinary sessions."""
        async with self._uow() as tx:
            if loop_id is None:
                running = [
                    lp
                    for lp in await tx.loops.for_member(actor.member.id)
                    if lp.status is LoopStatus.ACTIVE
                ]
                if not running:
                    return OutboundMessage(text="You have no loop running.")
                loop_id = running[0].id
            loop = await tx.loops.get(loop_id, for_update=True)
            if loop is None or loop.community_id != actor.community.id:
                raise NotFound("That loop does not exist any more.")
            if loop.member_id != actor.member.id:
                raise PermissionDenied("That loop is not yours to cancel.")
            if loop.status is not LoopStatus.ACTIVE:
                return OutboundMessage(text=f"That loop is already {loop.status.value}.")
            withdrawn = 0
            for req in await tx.loops.requests(loop.id):
                if req.status is RequestStatus.OPEN:
                    await tx.requests.save(
                        InterviewRequest(**{**req.__dict__, "status": RequestStatus.CANCELLED})
                    )
                    withdrawn += 1
            await tx.loops.save(Loop(**{**loop.__dict__, "status": LoopStatus.CANCELLED}))
        kept = len(loop.rounds) - withdrawn
        return OutboundMessage(
            text=f"Cancelled your {loop.template_name} loop: {withdrawn} round(s) not yet paired "
            "were withdrawn."
            + (
                f" {kept} round(s) already booked stay as ordinary sessions (cancel them with "
                "`/mock cancel` if you wish)."
                if kept
                else ""
            ),
            tone=Tone.SUCCESS,
        )

    async def on_action(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """The "Cancel loop" button (``loop.cancel:<loop id>``)."""
        if not action.args:
            raise NotFound("That loop does not exist any more.")
        return await self.cancel(actor, action.args[0])

    # -- the engine's side: partners already met in the loop ----------------------------------

    async def partner_history(
        self, tx: UnitOfWork, requests: Sequence[InterviewRequest], now: datetime
    ) -> dict[frozenset[str], datetime]:
        """For the round's loop requests: each (member, partner already met in that loop) as
        if they had just met, so the engine's repeat penalty steers the next round elsewhere."""
        loop_ids = sorted({r.loop_id for r in requests if r.loop_id})
        if not loop_ids:
            return {}
        return {pair_key(a, b): now for _loop, a, b in await tx.loops.partners(loop_ids)}

    # -- the debrief -------------------------------------------------------------------------

    async def after_reveal(self, tx: UnitOfWork, session: Session, now: datetime) -> None:
        """A session's feedback was revealed: write the debrief of its loop if it is complete."""
        for rid in session.request_ids:
            req = await tx.requests.get(rid)
            if req is not None and req.loop_id:
                await self._maybe_debrief(tx, req.loop_id, now, force=False)

    async def run_step(self, tx: UnitOfWork, action: ScheduledAction, now: datetime) -> StepOutcome:
        """The loop's span and its last feedback window passed: the debrief, with what came in."""
        await self._maybe_debrief(tx, str(action.payload.get("loop_id", "")), now, force=True)
        return DONE

    async def _maybe_debrief(
        self, tx: UnitOfWork, loop_id: str, now: datetime, *, force: bool
    ) -> None:
        loop = await tx.loops.get(loop_id, for_update=True)
        if loop is None or loop.status is not LoopStatus.ACTIVE:
            return
        rounds = await round_results(tx, self._prompts, loop)
        if not force and not all(r.has_feedback for r in rounds):
            return
        debrief = debrief_of(tuple(rounds), loop.level, practise(self._prompts, loop, rounds))
        done = Loop(
            **{
                **loop.__dict__,
                "status": LoopStatus.DEBRIEFED,
                "debrief": debrief.to_json(),
                "debriefed_at": now,
            }
        )
        await tx.loops.save(done)
        await queue_direct(
            tx,
            key=f"loop:{loop.id}:debrief",
            community_id=loop.community_id,
            member_id=loop.member_id,
            now=now,
            message=self.debrief_message(done),
        )

    def debrief_message(self, loop: Loop) -> OutboundMessage:
        """The loop's debrief as a message (its member only)."""
        return debrief_message(loop, self.templates)

    async def latest_debrief(self, member_id: str) -> tuple[Loop, Debrief] | None:
        """The member's latest debriefed loop, for ``/mock progress``."""
        async with self._uow() as tx:
            loops = await tx.loops.for_member(member_id)
        for loop in loops:
            if loop.debrief is not None:
                return loop, Debrief.from_json(loop.debrief)
        return None


def _round_state(r: RoundResult) -> str:
    if r.has_feedback:
        return "Done; feedback in."
    if r.held:
        return (
            f"Held {ts(r.when, 'D')}; waiting for the interviewer's feedback."
            if r.when
            else "Held."
        )
    if r.when is not None:
        return f"Booked for {ts(r.when, 'f')}."
    return "Waiting for a partner."

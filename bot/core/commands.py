"""The command router: every declared command and action, bound to its handler, behind one error boundary.

The commands are declared once in :mod:`bot.core.surface.commands` (typed options, help,
form); this module binds each ``/mock`` declaration to a handler that takes the typed
arguments and calls a service, and each button or form verb to its handler
(:meth:`CommandRouter.declare_action`). A face hands over a command's path and options
(text from Slack and the console, typed values from Discord); they are parsed once into
the command's argument dataclass, so no face holds a business rule.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from time import perf_counter
from typing import Any

from bot.core.actions import Action, InvalidAction, declare_verb, decode
from bot.core.errors import InvalidInput, PeerLoopError, ProfileIncomplete
from bot.core.incidents import incident_message, report_incident
from bot.core.limits import RateLimit, RateLimiter
from bot.core.log_context import INTERACTION, log_context
from bot.core.messages import (
    FormValues,
    OutboundMessage,
    Tone,
    error_message,
    quote,
    without_nul,
)
from bot.core.metrics import NO_METRICS, Metrics
from bot.core.services.actor import Actor
from bot.core.services.digest import DigestService
from bot.core.services.feedback import FeedbackService
from bot.core.services.matching import MatchingService
from bot.core.services.privacy import FORGET_VERB, KEEP_VERB, PrivacyService
from bot.core.services.profiles import ProfileService
from bot.core.services.progress import ProgressService
from bot.core.services.requests import SCHEDULE_OPEN, SCHEDULE_SUBMIT, RequestService
from bot.core.services.sessions import SessionService
from bot.core.surface.commands import (
    ADMIN,
    COMMANDS,
    GROUP_DEFAULTS,
    AvailabilityArgs,
    CancelArgs,
    Command,
    DigestArgs,
    HelpArgs,
    NowArgs,
    ProfileArgs,
    ScheduleArgs,
    command,
    help_text,
    help_topics,
)
from bot.core.surface.options import parse_args
from bot.core.surface.parsing import parse_line
from bot.core.vocab import InterviewType

log = logging.getLogger(__name__)

#: A command's handler: the actor and the command's typed arguments (its declared dataclass).
CommandHandler = Callable[[Actor, Any], Awaitable[OutboundMessage]]
ActionHandler = Callable[[Actor, Action, FormValues], Awaitable[OutboundMessage]]
#: The verbs of the session service's buttons.
SESSION_VERBS = (
    "session.confirm",
    "session.cancel",
    "session.reschedule",
    "session.noshow",
    "guide.open",
)


@dataclass(frozen=True)
class ParsedCommand:
    """A text command line: its name (the words of its path) and its options as text."""

    name: str
    options: dict[str, str] = field(default_factory=dict)


def parse_command_text(text: str) -> ParsedCommand:
    """``schedule type:coding days:5`` → ``ParsedCommand("schedule", {"type": "coding", "days": "5"})``."""
    line = parse_line(text)
    return ParsedCommand(" ".join(line.path), line.options)


#: Answers instead of a command refused for a missing profile (``ProfileIncomplete``) or before
#: an action; ``None`` lets it go ahead. ``str``: the command's interview type, if any.
Gate = Callable[[Actor, "str | None"], Awaitable["OutboundMessage | None"]]


class CommandRouter:
    """Every command and action of a community's members, each bound once to its handler."""

    metrics: Metrics = NO_METRICS
    #: The expected wait for a type, added to the reply to ``/mock schedule`` (bot.core.partner_commands).
    expected_wait: Callable[[str, InterviewType], Awaitable[str]] | None = None
    #: ``/mock schedule partner:@member``: the invitation (bot.core.friend_commands).
    invite_partner: Callable[[Actor, ScheduleArgs], Awaitable[OutboundMessage]] | None = None

    def __init__(
        self,
        profiles: ProfileService,
        requests: RequestService,
        sessions: SessionService,
        matching: MatchingService,
        *,
        feedback: FeedbackService,
        progress: ProgressService,
        digests: DigestService,
        privacy: PrivacyService,
        limiter: RateLimiter | None = None,
    ) -> None:
        #: Per-member limits on commands and presses, shared with the admin command set
        #: (the composition root passes the settings' limit; none by default).
        self.limiter = limiter or RateLimiter(RateLimit(burst=0))
        self.profiles = profiles
        self.requests = requests
        self.sessions = sessions
        self.matching = matching
        self._commands: dict[tuple[str, ...], tuple[Command, CommandHandler]] = {}
        self._actions: dict[str, ActionHandler] = {}
        #: The verbs forms send (an action with one is a form being sent): counted as submissions.
        self._form_verbs: set[str] = {SCHEDULE_SUBMIT, "feedback.submit"}
        self._gates: dict[str, Gate] = {}

        async def none(
            handler: Callable[[Actor], Awaitable[OutboundMessage]], actor: Actor, args: object
        ) -> OutboundMessage:
            return await handler(actor)

        def plain(handler: Callable[[Actor], Awaitable[OutboundMessage]]) -> CommandHandler:
            return lambda actor, args: none(handler, actor, args)

        for path, handler in (
            (("help",), self._help),
            (("profile",), self._profile),
            (("availability",), self._availability),
            (("schedule",), self._schedule),
            (("now",), self._now),
            (("cancel",), self._cancel),
            (("upcoming",), plain(self._upcoming)),
            (("feedback",), plain(feedback.owed)),
            (("progress",), plain(progress.progress)),
            (("history",), plain(progress.history)),
            (("digest",), lambda actor, args: self._digest(digests, actor, args)),
            (("export",), plain(privacy.export)),
            (("forget-me",), plain(privacy.ask_forget)),
        ):
            self.declare(command(*path), handler)
        for verb, action in (
            ("request.cancel", self._action_cancel_request),
            (SCHEDULE_OPEN, self._action_open_schedule),
            ("feedback.open", feedback.on_action),
            ("feedback.submit", feedback.on_action),
            (FORGET_VERB, privacy.on_action),
            (KEEP_VERB, privacy.on_action),
            *((verb, sessions.on_action) for verb in SESSION_VERBS),
        ):
            self.declare_action(verb, action)

    # -- the registry -----------------------------------------------------------------------

    def declare(self, declared: Command, handler: CommandHandler) -> None:
        """Bind ``handler`` to a declared command (the one way a command gets a handler); a
        command with a form also answers its form's verb, parsed the same way."""
        self._commands[declared.path] = (declared, handler)
        if declared.form is not None:
            path = declared.path

            async def submitted(
                actor: Actor, action: Action, values: FormValues
            ) -> OutboundMessage:
                return await self._submitted(actor, path, values)

            self.declare_action(declared.form.action, submitted)

    def declare_action(self, verb: str, handler: ActionHandler) -> None:
        """Bind ``handler`` to a button, select or form verb (the action registry)."""
        self._actions[declare_verb(verb)] = handler

    def add_gate(self, name: str, gate: Gate) -> None:
        """``gate`` answers the command ``name`` when it is refused for a missing profile (or
        would open its form), and runs before the action verb ``name``; its message, if any,
        is the answer (onboarding: the profile form at a member's first schedule)."""
        self._gates[name] = gate

    async def _gated(self, actor: Actor, name: str, kind: str | None) -> OutboundMessage | None:
        gate = self._gates.get(name)
        return None if gate is None else await gate(actor, kind)

    def check_complete(self) -> None:
        """Every declared command has a handler (a start-up error otherwise)."""
        missing = [" ".join(c.path) for c in COMMANDS if c.path not in self._commands]
        if missing:
            raise RuntimeError("declared commands without a handler: " + ", ".join(missing))
        for declared, _handler in self._commands.values():  # a command's own form is a form too
            if declared.form is not None:
                self.mark_form(declared.form.action)

    def mark_form(self, action: str) -> None:
        """``action`` (a form's action id, or its verb) is sent by a form: counted as a
        submission in the metrics (forms opened by this router are marked as they open)."""
        try:
            self._form_verbs.add(decode(action).verb)
        except InvalidAction:
            self._form_verbs.add(action)

    @property
    def commands(self) -> list[Command]:
        """Every command with a handler, in declaration order (declared extras last)."""
        order = {c.path: i for i, c in enumerate(COMMANDS)}
        return [
            c
            for c, _ in sorted(
                self._commands.values(), key=lambda e: order.get(e[0].path, len(order))
            )
        ]

    @property
    def command_names(self) -> list[str]:
        """The ``/mock`` subcommands (not the admin ones)."""
        return sorted(" ".join(p) for p in self._commands if p[0] != ADMIN)

    @property
    def action_verbs(self) -> list[str]:
        """Every button or form verb a handler answers."""
        return sorted(self._actions)

    def handles(self, verb: str) -> bool:
        """Whether a button, select or form with this action verb has a handler here."""
        return verb in self._actions

    def admit(self, actor: Actor) -> None:
        """Count one command or press of ``actor`` (raises :class:`RateLimited` over the limit)."""
        self.limiter.take((actor.community.id, actor.member.id))

    # -- running ----------------------------------------------------------------------------

    async def run(self, actor: Actor, name: str, options: Mapping[str, object]) -> OutboundMessage:
        """``/mock NAME`` with its options (text or typed values)."""
        return await self.run_path(actor, tuple(name.split()) or ("help",), options)

    async def run_path(
        self,
        actor: Actor,
        path: tuple[str, ...],
        options: Mapping[str, object],
        *,
        form: bool = True,
    ) -> OutboundMessage:
        """The declared command at ``path``: admitted, checked (admin), parsed once, run."""
        options = {k: _typed(v) for k, v in options.items()}
        return await self._traced(
            actor,
            guarded(
                self._run(actor, path, options, form=form),
                admit=lambda: self.admit(actor),
                where="admin command" if path[:1] == (ADMIN,) else "command",
            ),
        )

    async def run_text(self, actor: Actor, text: str) -> OutboundMessage:
        """A text face's line (``schedule coding``, ``admin setup digest_hour:8``)."""
        text = without_nul(text)
        return await self._traced(
            actor,
            guarded(self._run_text(actor, text), admit=lambda: self.admit(actor), where="command"),
        )

    async def _traced(self, actor: Actor, call: Awaitable[OutboundMessage]) -> OutboundMessage:
        """Run one interaction under its request id (``bot.core.log_context``; kept when the
        face already set one) and count the form its answer opens."""
        with log_context(INTERACTION, community=actor.community.id, member=actor.member.id):
            reply = await call
        self.count_form(actor, reply)
        return reply

    def count_form(self, actor: Actor, reply: OutboundMessage) -> None:
        """Count the form ``reply`` opens, if any (by its action verb)."""
        if reply.form is not None:
            self.mark_form(reply.form.action)
            try:
                verb = decode(reply.form.action).verb
            except InvalidAction:
                verb = "unknown"
            self.metrics.form_opened(actor.community.platform.value, verb)

    async def _run_text(self, actor: Actor, text: str) -> OutboundMessage:
        line = parse_line(text)
        return await self._run(actor, line.path, line.options, form=True)

    async def _run(
        self, actor: Actor, path: tuple[str, ...], options: Mapping[str, object], *, form: bool
    ) -> OutboundMessage:
        path = GROUP_DEFAULTS.get(path, path)
        if path[:1] == (ADMIN,):
            actor.require_admin()
            if path in ((ADMIN,), (ADMIN, "help")):
                return self.admin_help()
        entry = self._commands.get(path)
        if entry is None:
            return self._unknown(path)
        declared, handler = entry
        if declared.admin:
            actor.require_admin()
        given = {k: v for k, v in options.items() if v is not None and v != "" and v != ()}
        name = " ".join(path)
        if form and declared.form is not None and not given:
            return await self._gated(actor, name, None) or OutboundMessage(
                form=declared.form_spec()
            )
        return await self._timed(
            actor, "command", name, self._call(actor, declared, handler, given)
        )

    async def _call(
        self, actor: Actor, declared: Command, handler: CommandHandler, given: Mapping[str, object]
    ) -> OutboundMessage:
        """Parse the options once into the declared arguments, then run the handler."""
        name = " ".join(declared.path)
        args = parse_args(declared.args, given, command=declared.usage)
        try:
            return await handler(actor, args)
        except ProfileIncomplete:  # refused for a missing profile: the gate may answer instead
            kind = getattr(args, "type", None)
            answer = await self._gated(actor, name, str(kind) if kind else None)
            if answer is None:
                raise
            return answer

    def _unknown(self, path: tuple[str, ...]) -> OutboundMessage:
        if path[:1] == (ADMIN,):
            names = sorted({p[1] for p in self._commands if p[:1] == (ADMIN,)})
            return error_message(
                f"`{quote(' '.join(path[1:]), 30)}` is not an admin command. "
                f"Accepted: {', '.join(names)}."
            )
        return error_message(
            f"`/mock {quote(' '.join(path), 30)}` is not a command. Try: "
            + ", ".join(self.command_names)
            + "."
        )

    def admin_help(self) -> OutboundMessage:
        """The admin commands, one line each (from the declarations)."""
        from bot.core.surface.commands import admin_help_lines

        bound = tuple(c for c in self.commands if c.admin)
        return OutboundMessage(
            title="PeerLoop admin commands", text="\n".join(admin_help_lines(bound))
        )

    async def act(
        self, actor: Actor, action_id: str, values: FormValues | None = None
    ) -> OutboundMessage:
        """A button, select or form: its verb's handler."""
        values = {k: _typed(v) for k, v in (values or {}).items()}
        return await self._traced(
            actor,
            guarded(
                self._act(actor, action_id, values or {}),
                admit=lambda: self.admit(actor),
                where="action",
            ),
        )

    async def _act(self, actor: Actor, action_id: str, values: FormValues) -> OutboundMessage:
        try:
            action = decode(action_id)
        except InvalidAction as exc:
            return error_message(exc.message)
        handler = self._actions.get(action.verb)
        if handler is None:
            return error_message(InvalidAction().message)
        gated = await self._gated(actor, action.verb, None)
        if gated is not None:
            return gated
        if action.verb not in self._form_verbs:
            return await self._timed(actor, "action", action.verb, handler(actor, action, values))
        face = actor.community.platform.value
        try:
            reply = await self._timed(actor, "action", action.verb, handler(actor, action, values))
        except PeerLoopError:
            self.metrics.form_submitted(face, action.verb, "refused")
            raise
        except Exception:
            self.metrics.form_submitted(face, action.verb, "failed")
            raise
        refused = reply.tone is Tone.ERROR or bool(reply.field_errors)
        self.metrics.form_submitted(face, action.verb, "refused" if refused else "accepted")
        return reply

    async def _timed(
        self, actor: Actor, kind: str, name: str, call: Awaitable[OutboundMessage]
    ) -> OutboundMessage:
        started = perf_counter()
        try:
            return await call
        finally:
            self.metrics.handled(
                actor.community.platform.value, kind, name, perf_counter() - started
            )

    # -- commands -------------------------------------------------------------------------

    async def _help(self, actor: Actor, args: HelpArgs) -> OutboundMessage:
        topics = help_topics()
        if args.topic and args.topic in topics:
            return OutboundMessage(text=topics[args.topic])
        return OutboundMessage(title="PeerLoop help", text=help_text())

    async def _profile(self, actor: Actor, args: ProfileArgs) -> OutboundMessage:
        return await self.profiles.set_profile(
            actor,
            timezone=args.timezone,
            track=args.track,
            level=args.level,
            interview_types=args.types,
            languages=args.languages,
        )

    async def _availability(self, actor: Actor, args: AvailabilityArgs) -> OutboundMessage:
        if not args.text:
            return await self.profiles.show(actor)
        return await self.profiles.set_availability(actor, args.text, blackouts=args.blackouts)

    async def _schedule(self, actor: Actor, args: ScheduleArgs) -> OutboundMessage:
        if args.partner and self.invite_partner is not None:
            return await self.invite_partner(actor, args)
        reply = await self.requests.schedule(actor, _kind(args.type), args.role, args.days)
        if self.expected_wait is None or reply.tone is not Tone.SUCCESS:
            return reply
        return replace(
            reply,
            text=f"{reply.text}\n{await self.expected_wait(actor.community.id, _kind(args.type))}",
        )

    async def _now(self, actor: Actor, args: NowArgs) -> OutboundMessage:
        return await self.matching.now(actor, _kind(args.type), args.role)

    async def _cancel(self, actor: Actor, args: CancelArgs) -> OutboundMessage:
        return await self.requests.cancel(actor, args.request or None)

    @staticmethod
    async def _digest(digests: DigestService, actor: Actor, args: DigestArgs) -> OutboundMessage:
        if args.set:
            return await digests.choose(actor, args.set)
        return await digests.preview(actor)

    async def _upcoming(self, actor: Actor) -> OutboundMessage:
        requests = await self.requests.upcoming(actor)
        fields, buttons = await self.sessions.upcoming_fields(actor)
        if not fields:
            return requests
        open_text = requests.text if requests.fields else "No open requests."
        return OutboundMessage(
            title="Upcoming",
            text=f"{len(fields)} booked session(s). {open_text}",
            fields=(*fields, *requests.fields)[:20],
            buttons=(
                *buttons,
                *(b for b in requests.buttons if b.action.startswith("pl:request.")),
            )[:5],
        )

    async def _action_cancel_request(
        self, actor: Actor, action: Action, values: FormValues
    ) -> OutboundMessage:
        return await self.requests.cancel(actor, action.arg(0))

    async def _action_open_schedule(
        self, actor: Actor, action: Action, values: FormValues
    ) -> OutboundMessage:
        """The “Schedule a session” button: the schedule form (a modal, form steps or a text form)."""
        return OutboundMessage(form=self._commands[("schedule",)][0].form_spec())

    async def _submitted(
        self, actor: Actor, path: tuple[str, ...], values: FormValues
    ) -> OutboundMessage:
        """A command's form sent: its answers (by option name) parsed as its options are, the same checks."""
        declared, handler = self._commands[path]
        return await self._call(actor, declared, handler, dict(values))


def _typed(value: Any) -> Any:
    """A value a face hands over, its text without NUL (``without_nul``), whatever it nests in."""
    if isinstance(value, str):
        return without_nul(value)
    if isinstance(value, tuple | list):
        return type(value)(_typed(v) for v in value)
    return value


def _kind(kind: InterviewType | None) -> InterviewType:
    """The interview type a form or command line must name (alone, the command opens its form)."""
    if kind is None:
        raise InvalidInput(
            "type", "Which interview type?", accepted=", ".join(t.value for t in InterviewType)
        )
    return kind


async def guarded(
    call: Awaitable[OutboundMessage],
    *,
    admit: Callable[[], None] | None = None,
    where: str = "command",
) -> OutboundMessage:
    """The router's error boundary: every call ends in a valid reply.

    ``admit`` runs first (the per-member limit); a refusal becomes a short private message
    that says what to do next; any other exception is logged once with an incident id and
    the member reads "Something went wrong (incident …). Nothing was changed."
    """
    try:
        if admit is not None:
            try:
                admit()
            except BaseException:
                if inspect.iscoroutine(call):
                    call.close()  # refused before it ran
                raise
        reply = await call
        if not isinstance(reply, OutboundMessage):
            raise TypeError(f"a handler answered {type(reply).__name__}, not a message")
        return reply
    except InvalidInput as exc:
        return error_message(exc.message, exc.fields or {exc.field: exc.message})
    except PeerLoopError as exc:
        return error_message(exc.message)
    except Exception as exc:
        return incident_message(report_incident(log, exc, where))

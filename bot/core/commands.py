"""The `/mock` command set, shared by every face.

Discord hands typed options; Slack and the console hand text, which
:func:`parse_command_text` turns into the same ``(subcommand, options)`` shape
(``schedule type:coding role:swap``; quotes group words: ``types:"coding, behavioral"``).
:class:`CommandRouter` maps subcommands and button actions to service calls, so no
face holds a business rule.
"""

from __future__ import annotations

import inspect
import logging
import shlex
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from time import perf_counter

from bot.core.actions import Action, InvalidAction, decode
from bot.core.errors import InvalidInput, PeerLoopError, ProfileIncomplete
from bot.core.incidents import incident_message, report_incident
from bot.core.limits import RateLimit, RateLimiter
from bot.core.messages import FormValues, OutboundMessage, error_message, quote
from bot.core.metrics import NO_METRICS, Metrics
from bot.core.services.actor import Actor
from bot.core.services.matching import MatchingService
from bot.core.services.profiles import ProfileService
from bot.core.services.requests import SCHEDULE_OPEN, SCHEDULE_SUBMIT, RequestService, schedule_form
from bot.core.services.sessions import SessionService
from bot.core.text import HELP_TOPICS, help_text

#: Options that take the rest of the line when given without ``key:``.
FREE_TEXT_OPTION = {"availability": "text", "schedule": "type", "now": "type", "cancel": "request",
                    "digest": "set"}
_TYPES = ("coding", "system-design", "behavioral", "ml-system-design", "ml-fundamentals", "stats-product",
          "sql-data-modelling", "sre-troubleshooting")

SUBCOMMANDS: tuple[str, ...] = (*tuple(HELP_TOPICS), "help")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ParsedCommand:
    name: str
    options: dict[str, str] = field(default_factory=dict)


def parse_command_text(text: str) -> ParsedCommand:
    """``schedule type:coding days:5`` → ``ParsedCommand("schedule", {"type": "coding", "days": "5"})``."""
    text = text.strip()
    if text.startswith("/mock"):
        text = text[len("/mock") :].strip()
    if not text:
        return ParsedCommand("help")
    name, _, rest = text.partition(" ")
    name = name.lower()
    options: dict[str, str] = {}
    rest = rest.strip()
    if not rest:
        return ParsedCommand(name, options)
    try:
        tokens = shlex.split(rest)
    except ValueError:
        raise InvalidInput("options", "A quote is not closed.", accepted='key:value or key:"several words"') from None
    if name in FREE_TEXT_OPTION and not any(_is_option(t) for t in tokens):
        options[FREE_TEXT_OPTION[name]] = rest
        return ParsedCommand(name, options)
    loose: list[str] = []
    last_key: str | None = None
    for token in tokens:
        if _is_option(token):
            key, _, value = token.partition(":")
            last_key = key.lower().replace("-", "_")
            options[last_key] = value
        elif last_key is not None:
            options[last_key] = f"{options[last_key]} {token}".strip()
        else:
            loose.append(token)
    if loose:
        if name in FREE_TEXT_OPTION:
            options.setdefault(FREE_TEXT_OPTION[name], " ".join(loose))
        else:
            raise InvalidInput(
                "options", f"“{quote(' '.join(loose))}” is not an option.", accepted="key:value pairs, e.g. type:coding"
            )
    return ParsedCommand(name, options)


def _is_option(token: str) -> bool:
    key, sep, _ = token.partition(":")
    return bool(sep) and key.replace("-", "").replace("_", "").isalpha() and len(key) <= 20


Handler = Callable[[Actor, Mapping[str, str]], Awaitable[OutboundMessage]]
ActionHandler = Callable[[Actor, Action, FormValues], Awaitable[OutboundMessage]]
TextHandler = Callable[[Actor, str], Awaitable[OutboundMessage]]
#: Answers instead of a command refused for a missing profile (``ProfileIncomplete``), or before
#: an action; ``None`` lets the refusal or the action go ahead (onboarding: the profile form at
#: a member's first schedule). ``str``: the command's interview type, if any.
Gate = Callable[[Actor, "str | None"], Awaitable["OutboundMessage | None"]]


def _int_option(options: Mapping[str, str], key: str) -> int | None:
    raw = options.get(key)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(key, f"“{quote(raw)}” is not a whole number.", accepted="a whole number, e.g. 7") from None


class CommandRouter:
    metrics: Metrics = NO_METRICS

    def __init__(
        self,
        profiles: ProfileService,
        requests: RequestService,
        sessions: SessionService,
        matching: MatchingService,
        *,
        limiter: RateLimiter | None = None,
    ) -> None:
        #: Per-member limits on commands and presses, shared with the admin command set
        #: (the composition root passes the settings' limit; none by default).
        self.limiter = limiter or RateLimiter(RateLimit(burst=0))
        self.profiles = profiles
        self.requests = requests
        self.sessions = sessions
        self.matching = matching
        self._commands: dict[str, Handler] = {
            "help": self._help,
            "profile": self._profile,
            "availability": self._availability,
            "schedule": self._schedule,
            "now": self._now,
            "cancel": self._cancel,
            "upcoming": self._upcoming,
        }
        self._actions: dict[str, ActionHandler] = {
            "request.cancel": self._action_cancel_request,
            SCHEDULE_OPEN: self._action_open_schedule,
            SCHEDULE_SUBMIT: self._action_submit_schedule,
        }
        self._text_commands: dict[str, TextHandler] = {}
        self._gates: dict[str, Gate] = {}
        for verb in ("session.confirm", "session.cancel", "session.reschedule", "session.here",
                     "session.noshow", "guide.open"):
            self._actions[verb] = sessions.on_action

    def register(self, name: str, handler: Handler) -> None:
        self._commands[name] = handler

    def register_action(self, verb: str, handler: ActionHandler) -> None:
        self._actions[verb] = handler

    def add_gate(self, name: str, gate: Gate) -> None:
        """``gate`` answers the command ``name`` when it is refused for a missing profile, and runs
        before the action verb ``name``; its message, if any, is the answer."""
        self._gates[name] = gate

    def register_text(self, name: str, handler: TextHandler) -> None:
        """A command set of its own behind a first word (``admin setup …``): text faces'
        ``/mock admin …`` lines go to ``handler`` whole; typed faces call that set directly."""
        self._text_commands[name] = handler

    @property
    def command_names(self) -> list[str]:
        return sorted(self._commands)

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

    async def run(self, actor: Actor, name: str, options: Mapping[str, str]) -> OutboundMessage:
        return await guarded(self._run(actor, name, options), admit=lambda: self.admit(actor), where="command")

    async def _run(self, actor: Actor, name: str, options: Mapping[str, str]) -> OutboundMessage:
        handler = self._commands.get(name)
        if handler is None:
            return error_message(
                f"`/mock {quote(name, 30)}` is not a command. Try: " + ", ".join(self.command_names) + "."
            )
        try:
            return await self._timed(actor, "command", name, handler(actor, options))
        except ProfileIncomplete:  # refused for a missing profile: the gate may answer instead
            gate = self._gates.get(name)
            if gate is None or (answer := await gate(actor, options.get("type"))) is None:
                raise
            return answer

    async def run_text(self, actor: Actor, text: str) -> OutboundMessage:
        first = text.strip().removeprefix("/mock").strip().partition(" ")[0].lower()
        if first in self._text_commands:  # a command set of its own: it counts and guards its calls
            return await guarded(self._text_commands[first](actor, text), where="text command")
        return await guarded(self._run_text(actor, text), admit=lambda: self.admit(actor), where="command")

    async def _run_text(self, actor: Actor, text: str) -> OutboundMessage:
        parsed = parse_command_text(text)
        return await self._run(actor, parsed.name, parsed.options)

    async def act(self, actor: Actor, action_id: str, values: FormValues | None = None) -> OutboundMessage:
        return await guarded(self._act(actor, action_id, values or {}), admit=lambda: self.admit(actor),
                             where="action")

    async def _act(self, actor: Actor, action_id: str, values: FormValues) -> OutboundMessage:
        try:
            action = decode(action_id)
        except InvalidAction as exc:
            return error_message(exc.message)
        handler = self._actions.get(action.verb)
        if handler is None:
            return error_message(InvalidAction().message)
        gate = self._gates.get(action.verb)
        if gate is not None and (answer := await gate(actor, None)) is not None:
            return answer
        return await self._timed(actor, "action", action.verb, handler(actor, action, values))

    async def _timed(self, actor: Actor, kind: str, name: str, call: Awaitable[OutboundMessage]) -> OutboundMessage:
        started = perf_counter()
        try:
            return await call
        finally:
            self.metrics.handled(actor.community.platform.value, kind, name, perf_counter() - started)

    # -- commands -------------------------------------------------------------------------

    async def _help(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        topic = options.get("topic", "").strip().lower()
        if topic and topic in HELP_TOPICS:
            return OutboundMessage(text=HELP_TOPICS[topic])
        return OutboundMessage(title="PeerLoop help", text=help_text())

    async def _profile(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        known = {"timezone", "tz", "track", "level", "types", "interview_types", "languages"}
        unknown = set(options) - known
        if unknown:
            raise InvalidInput(
                "profile",
                f"Unknown profile option(s): {', '.join(sorted(unknown))}.",
                accepted="timezone, track, level, types, languages",
            )
        return await self.profiles.set_profile(
            actor,
            timezone=options.get("timezone", options.get("tz")),
            track=options.get("track"),
            level=options.get("level"),
            interview_types=options.get("types", options.get("interview_types")),
            languages=options.get("languages"),
        )

    async def _availability(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        text = options.get("text", "").strip()
        if not text:
            return await self.profiles.show(actor)
        return await self.profiles.set_availability(actor, text, blackouts=options.get("blackouts"))

    async def _schedule(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        kind = options.get("type", "").strip()
        if not kind:
            raise InvalidInput(
                "type",
                "Which interview type?",
                accepted=", ".join(_TYPES),
            )
        return await self.requests.schedule(
            actor, kind, options.get("role"), _int_option(options, "days")
        )

    async def _now(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        kind = options.get("type", "").strip()
        if not kind:
            raise InvalidInput("type", "Which interview type?", accepted=", ".join(_TYPES))
        return await self.matching.now(actor, kind, options.get("role"))

    async def _cancel(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        return await self.requests.cancel(actor, options.get("request") or None)

    async def _upcoming(self, actor: Actor, options: Mapping[str, str]) -> OutboundMessage:
        requests = await self.requests.upcoming(actor)
        fields, buttons = await self.sessions.upcoming_fields(actor)
        if not fields:
            return requests
        open_text = requests.text if requests.fields else "No open requests."
        return OutboundMessage(
            title="Upcoming",
            text=f"{len(fields)} booked session(s). {open_text}",
            fields=(*fields, *requests.fields)[:20],
            buttons=(*buttons, *(b for b in requests.buttons if b.action.startswith("pl:request.")))[:5],
        )

    async def _action_cancel_request(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        return await self.requests.cancel(actor, action.arg(0))

    async def _action_open_schedule(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """The “Schedule a session” button: the schedule form (a modal, form steps or a text form)."""
        return OutboundMessage(form=schedule_form())

    async def _action_submit_schedule(self, actor: Actor, action: Action, values: FormValues) -> OutboundMessage:
        """The schedule form sent: ``/mock schedule`` with the chosen options."""
        options = {key: value if isinstance(value, str) else ",".join(value) for key, value in values.items()}
        return await self._schedule(actor, {key: value for key, value in options.items() if value})


async def guarded(call: Awaitable[OutboundMessage], *, admit: Callable[[], None] | None = None,
                  where: str = "command") -> OutboundMessage:
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

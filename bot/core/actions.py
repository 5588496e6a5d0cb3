"""One action-id format for every button, select and form, parsed the same way by every face.

``pl:<verb>:<arg>:<arg>…`` — ASCII, at most 100 characters (Discord's ``custom_id``
limit; Slack's ``action_id`` allows 255). Ids carry no secrets and grant nothing:
the service behind each verb checks that the member acting may do it, so a tampered
id is at worst refused.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.core.errors import PeerLoopError

PREFIX = "pl"
MAX_LENGTH = 100
_VERB = re.compile(r"^[a-z][a-z0-9_.]{0,30}$")
_ARG = re.compile(r"^[A-Za-z0-9_\-+.]{1,64}$")
#: A regular expression matching every PeerLoop action id (Discord DynamicItem, bolt matchers).
PATTERN = r"pl:(?P<verb>[a-z][a-z0-9_.]{0,30})(?P<args>(?::[A-Za-z0-9_\-+.]{1,64})*)"
_FULL = re.compile(rf"^{PATTERN}$")


#: Every verb some handler answers, in this process: the core's (declared on the router with
#: their handlers, :meth:`bot.core.commands.CommandRouter.declare_action`) and faces' own
#: (:func:`declare_verb`). Tests check every action a message carries is among them.
DECLARED_VERBS: set[str] = set()


def declare_verb(verb: str) -> str:
    """Record that ``verb`` has a handler (the router does it for each action it binds; a
    face for its own buttons). Returns the verb."""
    if not _VERB.match(verb):
        raise ValueError(f"bad action verb {verb!r}")
    DECLARED_VERBS.add(verb)
    return verb


def undeclared(action_id: str) -> bool:
    """Whether ``action_id`` is a well-formed id whose verb no handler declared."""
    try:
        return decode(action_id).verb not in DECLARED_VERBS
    except InvalidAction:
        return True


class InvalidAction(PeerLoopError):
    """A malformed, stale or unknown action id (the member is told to run the command again)."""

    def __init__(self) -> None:
        super().__init__("That button or form is not valid any more. Run the command again.")


@dataclass(frozen=True)
class Action:
    """A decoded action id: its verb and arguments."""

    verb: str
    args: tuple[str, ...] = ()

    def encode(self) -> str:
        """This action as an id."""
        return encode(self.verb, *self.args)

    def arg(self, index: int) -> str:
        """The argument at ``index`` (a missing one makes the id invalid)."""
        try:
            return self.args[index]
        except IndexError:
            raise InvalidAction() from None

    def number(self, index: int) -> int:
        """The argument at ``index`` as a whole number: ASCII digits only, at most nine (a
        missing one, or anything else, such as ``²`` which ``str.isdigit`` accepts and ``int``
        refuses, makes the id invalid)."""
        text = self.arg(index)
        if not is_number(text):
            raise InvalidAction()
        return int(text)


def is_number(text: str) -> bool:
    """Whether an action argument is a whole number as ids carry them (ASCII digits, 1 to 9)."""
    return 0 < len(text) <= 9 and text.isascii() and text.isdigit()


def encode(verb: str, *args: str) -> str:
    """``pl:<verb>:<arg>…``; a bad verb, argument or length is a programming error (ValueError)."""
    if not _VERB.match(verb):
        raise ValueError(f"bad action verb {verb!r}")
    for arg in args:
        if not _ARG.match(arg):
            raise ValueError(f"bad action argument {arg!r}")
    text = ":".join((PREFIX, verb, *args))
    if len(text) > MAX_LENGTH:
        raise ValueError(f"action id over {MAX_LENGTH} characters")
    return text


def decode(text: str) -> Action:
    """Parse an action id; anything malformed raises :class:`InvalidAction`."""
    if len(text) > MAX_LENGTH or not _FULL.match(text):
        raise InvalidAction()
    parts = text.split(":")
    return Action(parts[1], tuple(parts[2:]))

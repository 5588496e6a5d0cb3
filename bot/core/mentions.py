"""Mentions in neutral text: ``{@<platform user id>|<display name>}``.

A service writes :func:`mention` where a message addresses a member (in a pair space,
"Bob, please confirm…") and lists the member in ``OutboundMessage.mentions``; each face
renders it its own way: Discord ``<@id>`` (and allows a ping for exactly those members),
the console the member's name. Only tokens for members listed in ``mentions`` are
mentions: a token typed into a member's own text (a display name, a note) is shown as
its name, so nobody can make PeerLoop ping someone.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.core.models import Member

MENTION = re.compile(r"\{@(?P<ref>[A-Za-z0-9_.\-]{1,64})\|(?P<name>[^{}|\n]{0,100})\}")
_NOT_IN_NAME = re.compile(r"[{}|\n]")


def mention(member: Member) -> str:
    """The neutral mention token of ``member`` (``{@platform id|name}``); each face renders it."""
    name = _NOT_IN_NAME.sub(" ", member.display_name)[:100]
    return f"{{@{member.external_id}|{name}}}"


def mentioning(*members: Member) -> tuple[str, ...]:
    """The ``OutboundMessage.mentions`` for a message that addresses ``members``."""
    return tuple(dict.fromkeys(m.external_id for m in members))


def replace_mentions(text: str, render: Callable[[str, str], str]) -> str:
    """Each mention token replaced by ``render(platform user id, display name)``."""
    return MENTION.sub(lambda m: render(m.group("ref"), m.group("name")), text)


def plain_mentions(text: str) -> str:
    """``text`` with each mention token replaced by the member's name (the console's rendering)."""
    return replace_mentions(text, lambda _ref, name: name)

"""Typed options, declared once on a frozen dataclass per command.

A command's arguments are a frozen dataclass; each field is an option, annotated with
:class:`Opt` for its help text and limits::

    @dataclass(frozen=True)
    class Schedule:
        type: Annotated[InterviewType | None, Opt("Interview type", rest=True)] = None
        days: Annotated[int | None, Opt("How many days ahead to look", min=1, max=14)] = None

The field's type says what the option is (text, a whole number, yes/no, one of a
vocabulary's values, a comma-separated list of them, a member, a channel, a file); a
field without a default is required. :func:`options_of` reads the declaration into
:class:`Option` rows that every face builds from, and :func:`parse_args` turns what a
face hands over (text, or values a face typed already) into the dataclass, once, with a
refusal naming what is accepted.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Annotated, Any, NewType

from bot.core.errors import InvalidInput
from bot.core.messages import quote
from bot.core.vocab import parse_enum

#: A member: a platform mention, a user id or a display name (the service resolves it).
MemberRef = NewType("MemberRef", str)
#: A channel: a platform channel mention or id (``none`` resets a setting).
ChannelRef = NewType("ChannelRef", str)
#: A file a typed face attaches (Discord); text faces open a form instead.
FileRef = NewType("FileRef", str)

_TRUE = {"yes", "y", "true", "on", "1"}
#: Words that clear an option declared ``clear`` (``pair_channel:none``).
NONE_WORDS = frozenset({"none", "off", "-", "clear", "default"})
#: A channel as the faces hand it over: its platform id (``#`` allowed in front).
_CHANNEL = re.compile(r"^#?([A-Za-z0-9]{1,32})$")
_FALSE = {"no", "n", "false", "off", "0"}


class Kind(StrEnum):
    """What an option holds, which decides how every face offers and parses it."""

    TEXT = "text"
    INT = "int"
    BOOL = "bool"
    CHOICE = "choice"
    LIST = "list"
    MEMBER = "member"
    CHANNEL = "channel"
    FILE = "file"


class Complete(StrEnum):
    """Where a face's autocomplete for a text option comes from."""

    TIMEZONE = "timezone"
    TRACK = "track"
    TYPES = "types"
    LANGUAGES = "languages"
    LOOP_TEMPLATE = "loop_template"


@dataclass(frozen=True)
class Opt:
    """The declaration of one option (the ``Annotated`` metadata of a field).

    ``rest``: on text faces the option may be given without ``key:`` (the rest of the
    line). ``choices``: fixed (label, value) pairs for a text or whole-number option
    whose type is no vocabulary. ``aliases``: other keys text faces accept. ``clear``: a
    word of :data:`NONE_WORDS` gives the empty value (``""``, or ``()`` for a list).
    ``parse``: the option is text on every face, turned into its field's type by this
    function (which refuses with what it accepts).
    """

    help: str
    min: int | None = None
    max: int | None = None
    complete: Complete | None = None
    rest: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    clear: bool = False
    parse: Callable[[str], object] | None = None
    #: A channel option that takes a category (a Discord channel picker of categories only).
    category: bool = False


@dataclass(frozen=True)
class Option:
    """One option as the faces see it, read from a declaration (:func:`options_of`)."""

    name: str
    kind: Kind
    help: str
    required: bool
    #: (label, value) pairs a face offers as fixed choices (empty: free input).
    choices: tuple[tuple[str, str], ...] = ()
    min: int | None = None
    max: int | None = None
    complete: Complete | None = None
    rest: bool = False
    aliases: tuple[str, ...] = ()
    max_length: int | None = None
    #: The vocabulary of a ``CHOICE`` or ``LIST`` option, if it is an enum.
    vocabulary: type[Enum] | None = None
    #: The Python type of a whole-number choice (``int``) or ``str``.
    value_type: type = str
    clear: bool = False
    parse: Callable[[str], object] | None = None
    category: bool = False

    def accepted(self) -> str:
        """What this option accepts, for refusals and help."""
        return self._accepted() + (", or none" if self.clear else "")

    def _accepted(self) -> str:
        if self.choices:
            return ", ".join(value for _, value in self.choices)
        if self.kind is Kind.INT:
            low = "" if self.min is None else str(self.min)
            high = "" if self.max is None else str(self.max)
            return f"a whole number from {low} to {high}" if low and high else "a whole number"
        if self.kind is Kind.BOOL:
            return "yes or no"
        if self.kind is Kind.MEMBER:
            return "a mention (@name), a user id or a display name"
        if self.kind is Kind.CHANNEL:
            return "a category (its id)" if self.category else "a channel (#name or its id)"
        if self.kind is Kind.LIST and self.vocabulary is not None:
            return "comma-separated: " + ", ".join(str(m.value) for m in self.vocabulary)
        return "text"


def _strip_optional(tp: Any) -> tuple[Any, bool]:
    """``X | None`` → (X, True)."""
    origin = typing.get_origin(tp)
    if origin is typing.Union or origin is types.UnionType:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0], True
    return tp, False


def _kind(tp: Any) -> tuple[Kind, type[Enum] | None, type]:
    if tp is MemberRef:
        return Kind.MEMBER, None, str
    if tp is ChannelRef:
        return Kind.CHANNEL, None, str
    if tp is FileRef:
        return Kind.FILE, None, str
    if tp is bool:
        return Kind.BOOL, None, bool
    if tp is int:
        return Kind.INT, None, int
    if tp is str:
        return Kind.TEXT, None, str
    if isinstance(tp, type) and issubclass(tp, Enum):
        return Kind.CHOICE, tp, str
    if typing.get_origin(tp) is tuple:
        inner = typing.get_args(tp)[0]
        if isinstance(inner, type) and issubclass(inner, Enum):
            return Kind.LIST, inner, str
    raise TypeError(f"an option cannot be of type {tp!r}")


def _label(member: Enum) -> str:
    return str(getattr(member, "label", member.value))


_CACHE: dict[type, tuple[Option, ...]] = {}


def options_of(args: type) -> tuple[Option, ...]:
    """The options a command's argument dataclass declares, in field order."""
    if args in _CACHE:
        return _CACHE[args]
    hints = typing.get_type_hints(args, include_extras=True)
    out: list[Option] = []
    for f in dataclasses.fields(args):
        tp = hints[f.name]
        meta = Opt(help=f.name)
        if typing.get_origin(tp) is Annotated:
            tp, *extras = typing.get_args(tp)
            meta = next((e for e in extras if isinstance(e, Opt)), meta)
        tp, _ = _strip_optional(tp)
        kind, vocabulary, value_type = (Kind.TEXT, None, str) if meta.parse else _kind(tp)
        choices = meta.choices
        if kind is Kind.CHOICE and vocabulary is not None:
            choices = tuple((_label(m), str(m.value)) for m in vocabulary)
        elif kind is Kind.INT and choices:
            kind, value_type = Kind.CHOICE, int
        elif kind is Kind.TEXT and choices:
            kind = Kind.CHOICE
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        out.append(
            Option(
                name=f.name,
                kind=kind,
                help=meta.help,
                required=required,
                choices=choices,
                min=meta.min,
                max=meta.max,
                complete=meta.complete,
                rest=meta.rest,
                aliases=meta.aliases,
                max_length=meta.max_length,
                vocabulary=vocabulary,
                value_type=value_type,
                clear=meta.clear,
                parse=meta.parse,
                category=meta.category,
            )
        )
    _CACHE[args] = tuple(out)
    return _CACHE[args]


def _text(value: object) -> str:
    if isinstance(value, tuple | list):
        return ", ".join(str(v) for v in value)
    return str(value).strip()


def parse_value(option: Option, value: object) -> object:
    """One option's value (text from a text face, or a value a typed face gave) as its type."""
    name = option.name
    if option.clear and isinstance(value, str) and value.strip().lower() in NONE_WORDS:
        return () if option.kind is Kind.LIST else ""
    if option.parse is not None:
        return option.parse(_length_checked(option, _text(value)))
    if option.kind is Kind.CHANNEL:
        match = _CHANNEL.match(_text(value))
        if match is None:
            raise InvalidInput(
                name, f"“{quote(_text(value))}” is not a channel.", accepted=option.accepted()
            )
        return match.group(1)
    if option.kind is Kind.INT or (option.kind is Kind.CHOICE and option.value_type is int):
        if isinstance(value, bool):
            raise InvalidInput(
                name, f"“{quote(_text(value))}” is not a whole number.", accepted=option.accepted()
            )
        try:
            number = value if isinstance(value, int) else int(_text(value))
        except ValueError:
            raise InvalidInput(
                name, f"“{quote(_text(value))}” is not a whole number.", accepted=option.accepted()
            ) from None
        if option.kind is Kind.CHOICE and str(number) not in {v for _, v in option.choices}:
            raise InvalidInput(
                name, f"{number} is not one of the choices for {name}.", accepted=option.accepted()
            )
        if (option.min is not None and number < option.min) or (
            option.max is not None and number > option.max
        ):
            raise InvalidInput(
                name, f"{number} is out of range for {name}.", accepted=option.accepted()
            )
        return number
    if option.kind is Kind.BOOL:
        if isinstance(value, bool):
            return value
        text = _text(value).lower()
        if text in _TRUE | _FALSE:
            return text in _TRUE
        raise InvalidInput(name, f"“{quote(text)}” is not yes or no.", accepted="yes or no")
    if option.kind is Kind.CHOICE and option.vocabulary is not None:
        return parse_enum(option.vocabulary, _text(value), what=name.replace("_", " "), field=name)
    if option.kind is Kind.CHOICE:
        text = _text(value).lower()
        for label, choice in option.choices:
            if text in (choice.lower(), label.lower()):
                return choice
        raise InvalidInput(
            name,
            f"“{quote(text)}” is not one of the choices for {name}.",
            accepted=option.accepted(),
        )
    if option.kind is Kind.LIST and option.vocabulary is not None:
        parts = value if isinstance(value, tuple | list) else _text(value).split(",")
        picked = [
            parse_enum(
                option.vocabulary, str(p), what=name.rstrip("s").replace("_", " "), field=name
            )
            for p in parts
            if str(p).strip()
        ]
        return tuple(dict.fromkeys(picked))
    return _length_checked(option, _text(value))


def _length_checked(option: Option, text: str) -> str:
    if option.max_length is not None and len(text) > option.max_length:
        raise InvalidInput(
            option.name,
            f"{option.name} is {len(text)} characters long.",
            accepted=f"at most {option.max_length} characters",
        )
    return text


def canonical_keys(args: type) -> dict[str, str]:
    """Every key text faces may use for an option (its name, with ``-`` or ``_``, and aliases) → its name."""
    keys: dict[str, str] = {}
    for option in options_of(args):
        for key in (option.name, *option.aliases):
            keys[key] = option.name
            keys[key.replace("_", "-")] = option.name
    return keys


def parse_args(args: type, raw: Mapping[str, object], *, command: str) -> Any:
    """``raw`` (option name → text or a typed value; empty values count as not given) as an
    instance of the ``args`` dataclass. Unknown options, missing required ones and bad
    values are refused with what is accepted; every problem is named, beside its option."""
    keys = canonical_keys(args)
    given: dict[str, object] = {}
    unknown = []
    for key, value in raw.items():
        if value is None or (isinstance(value, str) and not value.strip()) or value == ():
            continue
        name = keys.get(key) or keys.get(key.lower())
        if name is None:
            unknown.append(key)
            continue
        given[name] = value
    accepted_keys = ", ".join(o.name for o in options_of(args)) or "none"
    if unknown:
        listed = ", ".join(quote(k, 30) for k in sorted(unknown))
        raise InvalidInput(
            command, f"Unknown option(s) for {command}: {listed}.", accepted=accepted_keys
        )
    values: dict[str, object] = {}
    problems: dict[str, str] = {}
    for option in options_of(args):
        if option.name not in given:
            if option.required:
                problems[option.name] = f"Please give {option.name}. Accepted: {option.accepted()}."
            continue
        try:
            values[option.name] = parse_value(option, given[option.name])
        except InvalidInput as exc:
            problems[option.name] = exc.message
    if problems:
        first = next(iter(problems))
        raise InvalidInput(
            first, "Nothing was changed. " + " ".join(problems.values()), fields=problems
        )
    return args(**values)

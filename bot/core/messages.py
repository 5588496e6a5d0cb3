"""The neutral UI model: what services say, before any platform renders it.

Text uses a small markup subset that every face can render:
``**bold**``, ``_italic_``, `` `code` ``, lines starting with ``- `` for bullets,
and time tokens made with :func:`ts`, which each face shows in the viewer's own
zone (Discord ``<t:unix:F>``, Slack ``<!date^…>``, the console in the member's zone).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

#: Discord embed/Slack block friendly limits the neutral model enforces early.
MAX_TITLE = 200
MAX_TEXT = 3800
MAX_FIELD_NAME = 200
MAX_FIELD_VALUE = 1000
MAX_BUTTON_LABEL = 75
MAX_FORM_TITLE = 45
MAX_INPUT_LABEL = 45
MAX_OPTIONS = 25

#: The most of a member's own text a reply repeats back (``quote``), and the most any refusal says.
MAX_QUOTE = 60
MAX_REFUSAL = 1500

TIME_TOKEN = re.compile(r"\{t:(?P<unix>-?\d+):(?P<style>[FfDdTtR])\}")
#: Bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): repeated
#: in a reply they could make the text around them read backwards, so ``quote`` drops them.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def ts(when: datetime, style: str = "F") -> str:
    """A time token: F full date and time, f short, D date, d short date, T/t time, R relative."""
    if when.tzinfo is None:
        raise ValueError("time tokens need an aware datetime")
    return f"{{t:{int(when.timestamp())}:{style}}}"


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in "…" when something was cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def quote(value: object, limit: int = MAX_QUOTE) -> str:
    """What a member typed, made safe to repeat in a reply: one line, at most ``limit`` characters,
    with no markup, time token or bidirectional control that could change how the reply renders."""
    text = " ".join(_BIDI_CONTROLS.sub("", str(value)).split())
    text = text.replace("`", "'").replace("{t:", "{ t:")
    return clip(text, limit)


def without_nul(value: str) -> str:
    """Text as a database takes it: PostgreSQL refuses NUL in text (in a lookup as in a stored
    row), and no member means one; every face's input passes through this."""
    return value.replace("\x00", "")


def replace_time_tokens(text: str, render: Callable[[int, str], str]) -> str:
    """Each time token in ``text`` replaced by ``render(unix seconds, style)``."""
    return TIME_TOKEN.sub(lambda m: render(int(m.group("unix")), m.group("style")), text)


class Tone(StrEnum):
    """How a message reads: information, success, warning or error; faces colour it."""

    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class ButtonStyle(StrEnum):
    """How a button looks; faces map it to their own styles."""

    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


@dataclass(frozen=True)
class Field:
    """A named value shown under a message (an embed field, a Slack section field)."""

    name: str
    value: str
    inline: bool = False


@dataclass(frozen=True)
class Button:
    """A button that sends ``action`` (an action id, ``bot.core.actions``) when pressed."""

    label: str
    action: str
    style: ButtonStyle = ButtonStyle.SECONDARY


@dataclass(frozen=True)
class Option:
    """One choice of a select or of a form's choice input."""

    label: str
    value: str
    description: str | None = None


@dataclass(frozen=True)
class Select:
    """A drop-down of options that sends ``action`` with the chosen values."""

    action: str
    placeholder: str
    options: tuple[Option, ...]
    min_values: int = 1
    max_values: int = 1


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: a picture, a calendar invite, an exported pack."""

    filename: str
    data: bytes
    mime: str = "application/octet-stream"
    description: str | None = None


@dataclass(frozen=True)
class PictureRef:
    """A file made when the message is delivered, not when it is queued: what to make
    (``kind``) and its maker's own JSON text (``data``). The outbox stores this, never the
    file's bytes; the delivery worker draws a picture off the event loop, or writes a calendar
    invite (``bot.core.invites``), and attaches it."""

    kind: str
    data: str


@dataclass(frozen=True)
class Carrier:
    """What the message whose button was pressed becomes, so it shows no stale buttons:
    ``note`` is added under it (mention tokens allowed) and it keeps only ``buttons``."""

    note: str
    buttons: tuple[Button, ...] = ()
    #: Platform user ids of the members ``note`` mentions.
    mentions: tuple[str, ...] = ()
    #: What a private message of the presser's own (a ``/mock upcoming`` list) keeps, when it
    #: differs from what the pair's shared message keeps (None: the same ``buttons``).
    own: tuple[Button, ...] | None = None

    def kept(self, *, private: bool) -> tuple[Button, ...]:
        """The buttons the pressed message keeps: a private one's own, else the shared ones."""
        return self.own if private and self.own is not None else self.buttons


@dataclass(frozen=True)
class OutboundMessage:
    """Everything a service answers with, platform-neutral: text in the neutral markup, a title,
    fields, buttons, selects, attachments, a tone, and an optional form; each face renders it its
    own way."""

    text: str = ""
    title: str | None = None
    fields: tuple[Field, ...] = ()
    buttons: tuple[Button, ...] = ()
    selects: tuple[Select, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    tone: Tone = Tone.INFO
    #: A private reply, seen only by the member who acted.
    ephemeral: bool = True
    #: A form the face should open right away (Slack ``views.open``, Discord modal).
    form: FormSpec | None = None
    #: A refused form: ``(input id, problem)`` pairs, for faces that show errors beside inputs.
    field_errors: tuple[tuple[str, str], ...] = ()
    #: Platform user ids of the members this message addresses (``bot.core.mentions``):
    #: only their mention tokens become mentions, and only they may be pinged.
    mentions: tuple[str, ...] = ()
    #: The message that carried the pressed button, as it should read now (faces edit it:
    #: Discord message edit, Slack ``chat.update``); ``None`` leaves it as it is.
    carrier: Carrier | None = None
    #: Files made at delivery (:class:`PictureRef`); faces only ever see ``attachments``.
    pictures: tuple[PictureRef, ...] = ()

    def __post_init__(self) -> None:
        if self.title is not None and len(self.title) > MAX_TITLE:
            raise ValueError(f"title over {MAX_TITLE} characters")
        if len(self.text) > MAX_TEXT:
            raise ValueError(f"text over {MAX_TEXT} characters: split it into pages")
        for f in self.fields:
            if len(f.name) > MAX_FIELD_NAME or len(f.value) > MAX_FIELD_VALUE:
                raise ValueError(f"field {f.name[:30]!r} is over the field limits")
        for b in self.buttons:
            if len(b.label) > MAX_BUTTON_LABEL:
                raise ValueError(
                    f"button label {b.label[:30]!r} over {MAX_BUTTON_LABEL} characters"
                )
        for s in self.selects:
            if not 0 < len(s.options) <= MAX_OPTIONS:
                raise ValueError(f"a select holds 1 to {MAX_OPTIONS} options")


def error_message(text: str, field_errors: Mapping[str, str] | None = None) -> OutboundMessage:
    """A private refusal. Always valid: however long ``text`` is, it is clipped to fit."""
    return OutboundMessage(
        text=clip(text, MAX_REFUSAL),
        tone=Tone.ERROR,
        ephemeral=True,
        field_errors=tuple(
            (k[:MAX_FIELD_NAME], clip(v, MAX_FIELD_VALUE)) for k, v in (field_errors or {}).items()
        ),
    )


@dataclass(frozen=True)
class ChoiceInput:
    """A form input whose answer is picked from options (one, or several when ``multi``)."""

    id: str
    label: str
    options: tuple[Option, ...]
    required: bool = True
    multi: bool = False
    default: tuple[str, ...] = ()
    hint: str | None = None


@dataclass(frozen=True)
class TextInput:
    """A form input whose answer is typed: one line, or several when ``multiline``."""

    id: str
    label: str
    required: bool = True
    multiline: bool = False
    min_length: int = 0
    max_length: int = 1000
    placeholder: str | None = None
    default: str | None = None
    hint: str | None = None


FormInput = ChoiceInput | TextInput


@dataclass(frozen=True)
class FormPage:
    """One page of a form: a title and its inputs (Discord shows at most five inputs a page)."""

    title: str
    inputs: tuple[FormInput, ...]


@dataclass(frozen=True)
class FormSpec:
    """A form. Faces show it as one modal (Slack) or as pages of at most 5 inputs (Discord)."""

    action: str
    title: str
    pages: tuple[FormPage, ...]
    submit_label: str = "Submit"
    intro: str | None = None

    def __post_init__(self) -> None:
        if len(self.title) > MAX_FORM_TITLE:
            raise ValueError(f"form title over {MAX_FORM_TITLE} characters")
        ids = [i.id for p in self.pages for i in p.inputs]
        if len(ids) != len(set(ids)):
            raise ValueError("form input ids must be unique")
        for page in self.pages:
            for item in page.inputs:
                if len(item.label) > MAX_INPUT_LABEL:
                    raise ValueError(
                        f"input label {item.label!r} over {MAX_INPUT_LABEL} characters"
                    )
                if isinstance(item, ChoiceInput) and not 0 < len(item.options) <= MAX_OPTIONS:
                    raise ValueError(f"choice {item.id!r} needs 1 to {MAX_OPTIONS} options")

    @property
    def inputs(self) -> tuple[FormInput, ...]:
        """Every input of every page, in order."""
        return tuple(i for p in self.pages for i in p.inputs)


FormValues = dict[str, "str | tuple[str, ...]"]


def message_to_dict(message: OutboundMessage) -> dict[str, object]:
    """A JSON-able form of a message, for the outbox (forms are not stored: they open on demand)."""
    import base64

    return {
        "text": message.text,
        "title": message.title,
        "fields": [[f.name, f.value, f.inline] for f in message.fields],
        "buttons": [[b.label, b.action, b.style.value] for b in message.buttons],
        "selects": [
            {
                "action": s.action,
                "placeholder": s.placeholder,
                "options": [[o.label, o.value, o.description] for o in s.options],
                "min": s.min_values,
                "max": s.max_values,
            }
            for s in message.selects
        ],
        "attachments": [
            [a.filename, base64.b64encode(a.data).decode("ascii"), a.mime, a.description]
            for a in message.attachments
        ],
        "tone": message.tone.value,
        "ephemeral": message.ephemeral,
        "mentions": list(message.mentions),
        **({"pictures": [[p.kind, p.data] for p in message.pictures]} if message.pictures else {}),
    }


def message_from_dict(data: dict[str, object]) -> OutboundMessage:
    """Read back a message stored with :func:`message_to_dict` (the outbox keeps messages so)."""
    import base64
    from typing import Any, cast

    d = cast(dict[str, Any], data)
    return OutboundMessage(
        text=d.get("text", ""),
        title=d.get("title"),
        fields=tuple(Field(n, v, bool(i)) for n, v, i in d.get("fields", [])),
        buttons=tuple(Button(lbl, act, ButtonStyle(st)) for lbl, act, st in d.get("buttons", [])),
        selects=tuple(
            Select(
                s["action"],
                s["placeholder"],
                tuple(Option(lbl, v, desc) for lbl, v, desc in s["options"]),
                s.get("min", 1),
                s.get("max", 1),
            )
            for s in d.get("selects", [])
        ),
        attachments=tuple(
            Attachment(name, base64.b64decode(b64), mime, desc)
            for name, b64, mime, desc in d.get("attachments", [])
        ),
        tone=Tone(d.get("tone", "info")),
        ephemeral=bool(d.get("ephemeral", False)),
        mentions=tuple(str(r) for r in d.get("mentions", ())),
        pictures=tuple(PictureRef(str(kind), str(data)) for kind, data in d.get("pictures", ())),
    )

"""Neutral messages and forms as Slack Block Kit.

Everything is built with :mod:`slack_sdk.models` and turned into dicts through their
``to_dict()``, which validates Block Kit limits (lengths, counts): a message that would be
refused by Slack fails here, in tests, instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    InputBlock,
    MarkdownTextObject,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    SectionBlock,
    StaticMultiSelectElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.core.errors import InvalidInput
from bot.core.mentions import plain_mentions
from bot.core.messages import (
    Button,
    ButtonStyle,
    ChoiceInput,
    FormSpec,
    FormValues,
    OutboundMessage,
    Select,
    TextInput,
    Tone,
    replace_time_tokens,
)
from bot.core.messages import Option as NeutralOption

#: Slack's own limits (the neutral model's are looser in places).
HEADER_MAX = 150
SECTION_TEXT_MAX = 3000
FIELD_TEXT_MAX = 2000
FIELDS_PER_SECTION = 10
ELEMENTS_PER_ACTIONS = 25
OPTION_TEXT_MAX = 75
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
TEXT_INPUT_MAX = 3000
PLACEHOLDER_MAX = 150
FALLBACK_TEXT_MAX = 3000

_TONE_EMOJI = {Tone.INFO: "", Tone.SUCCESS: ":white_check_mark: ", Tone.WARNING: ":warning: ",
               Tone.ERROR: ":x: "}
#: Neutral time styles as Slack date tokens (shown in the viewer's own zone by Slack).
_DATE_TOKENS = {
    "F": "{date_long_pretty} {time}",
    "f": "{date_short_pretty} {time}",
    "D": "{date_long_pretty}",
    "d": "{date_num}",
    "T": "{time_secs}",
    "t": "{time}",
    "R": "{ago}",
}
_FALLBACK_FORMATS = {"D": "%d %b %Y", "d": "%Y-%m-%d", "T": "%H:%M:%S UTC", "t": "%H:%M UTC"}
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def slack_date(unix: int, style: str) -> str:
    """``<!date^unix^token|fallback>``: Slack shows it in the viewer's zone."""
    when = datetime.fromtimestamp(unix, UTC)
    fallback = when.strftime(_FALLBACK_FORMATS.get(style, "%d %b %Y %H:%M UTC"))
    return f"<!date^{unix}^{_DATE_TOKENS.get(style, _DATE_TOKENS['F'])}|{fallback}>"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str) -> str:
    """The neutral markup as Slack mrkdwn: ``**b**`` → ``*b*``, ``- `` bullets → ``•``, times."""
    text = _BOLD.sub(r"*\1*", escape(plain_mentions(text)))
    lines = [f"• {line[2:]}" if line.startswith("- ") else line for line in text.splitlines()]
    return replace_time_tokens("\n".join(lines), slack_date)


def plain(text: str) -> str:
    """Plain text (headers, buttons, options): no markup; times as their UTC fallback."""
    text = _BOLD.sub(r"\1", plain_mentions(text))
    return replace_time_tokens(text, lambda unix, style: slack_date(unix, style).split("|", 1)[1][:-1])


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _chunks(text: str, limit: int) -> list[str]:
    """Split on line breaks so each chunk fits a section (a time token is never cut)."""
    out: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            out.append(current)
        while len(line) > limit:
            out.append(line[:limit])
            line = line[limit:]
        current = line
    if current:
        out.append(current)
    return out


def _button(button: Button) -> ButtonElement:
    style = {ButtonStyle.PRIMARY: "primary", ButtonStyle.SUCCESS: "primary", ButtonStyle.DANGER: "danger"}
    return ButtonElement(
        text=PlainTextObject(text=_cut(plain(button.label), 75), emoji=True),
        action_id=button.action,
        value=button.action,
        style=style.get(button.style),
    )


def _option(option: NeutralOption) -> Option:
    return Option(
        value=option.value,
        text=PlainTextObject(text=_cut(plain(option.label), OPTION_TEXT_MAX)),
        description=PlainTextObject(text=_cut(plain(option.description), OPTION_TEXT_MAX))
        if option.description
        else None,
    )


def _select(select: Select) -> StaticSelectElement | StaticMultiSelectElement:
    options = [_option(o) for o in select.options]
    placeholder = PlainTextObject(text=_cut(plain(select.placeholder), PLACEHOLDER_MAX))
    if select.max_values > 1:
        return StaticMultiSelectElement(
            action_id=select.action, placeholder=placeholder, options=options,
            max_selected_items=select.max_values,
        )
    return StaticSelectElement(action_id=select.action, placeholder=placeholder, options=options)


def message_blocks(message: OutboundMessage) -> list[Block]:
    blocks: list[Block] = []
    emoji = _TONE_EMOJI[message.tone]
    if message.title:
        blocks.append(HeaderBlock(text=PlainTextObject(text=_cut(plain(message.title), HEADER_MAX), emoji=True)))
    text = mrkdwn(message.text)
    if text.strip():
        for i, chunk in enumerate(_chunks(text, SECTION_TEXT_MAX - len(emoji))):
            blocks.append(SectionBlock(text=MarkdownTextObject(text=(emoji if i == 0 else "") + chunk)))
    elif emoji and not message.title:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=emoji.strip())))
    inline: list[MarkdownTextObject] = []

    def flush() -> None:
        if inline:
            blocks.append(SectionBlock(fields=list(inline)))
            inline.clear()

    for item in message.fields:
        body = _cut(f"*{escape(plain(item.name))}*\n{mrkdwn(item.value)}", FIELD_TEXT_MAX)
        if item.inline:
            inline.append(MarkdownTextObject(text=body))
            if len(inline) == FIELDS_PER_SECTION:
                flush()
        else:
            flush()
            blocks.append(SectionBlock(text=MarkdownTextObject(text=body)))
    flush()
    elements: list[Any] = [_button(b) for b in message.buttons] + [_select(s) for s in message.selects]
    for start in range(0, len(elements), ELEMENTS_PER_ACTIONS):
        blocks.append(ActionsBlock(elements=elements[start : start + ELEMENTS_PER_ACTIONS]))
    if message.attachments:
        names = ", ".join(a.filename for a in message.attachments)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=_cut(f"Attached: {escape(names)}", 2000))]))
    return blocks


def render_message(message: OutboundMessage) -> dict[str, Any]:
    """``{"text": fallback, "blocks": [...]}`` for chat.postMessage / respond()."""
    blocks = [b.to_dict() for b in message_blocks(message)]
    return {"text": fallback_text(message), "blocks": blocks}


def fallback_text(message: OutboundMessage) -> str:
    """The notification text (and what screen readers get)."""
    parts = [p for p in (message.title, message.text) if p]
    text = plain(" — ".join(parts)) if parts else "PeerLoop"
    return _cut(text, FALLBACK_TEXT_MAX)


# -- forms -------------------------------------------------------------------------------------


def _input_block(item: ChoiceInput | TextInput) -> InputBlock:
    element: Any
    if isinstance(item, ChoiceInput):
        options = [_option(o) for o in item.options]
        chosen = [o for o, n in zip(options, item.options, strict=True) if n.value in item.default]
        if item.multi:
            element = StaticMultiSelectElement(
                action_id=item.id, options=options, initial_options=chosen or None,
                placeholder=PlainTextObject(text="Choose…"),
            )
        else:
            element = StaticSelectElement(
                action_id=item.id, options=options, initial_option=chosen[0] if chosen else None,
                placeholder=PlainTextObject(text="Choose…"),
            )
    else:
        element = PlainTextInputElement(
            action_id=item.id,
            multiline=item.multiline,
            min_length=item.min_length or None,
            max_length=min(item.max_length, TEXT_INPUT_MAX),
            placeholder=PlainTextObject(text=_cut(item.placeholder, PLACEHOLDER_MAX)) if item.placeholder else None,
            initial_value=item.default,
        )
    return InputBlock(
        block_id=item.id,
        label=PlainTextObject(text=plain(item.label)),
        element=element,
        optional=not item.required,
        hint=PlainTextObject(text=_cut(plain(item.hint), 2000)) if item.hint else None,
    )


def form_view(form: FormSpec, private_metadata: str = "") -> View:
    """One modal holds every page: each page after the first starts with its title."""
    blocks: list[Block] = []
    if form.intro:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=_cut(mrkdwn(form.intro), SECTION_TEXT_MAX))))
    for index, page in enumerate(form.pages):
        if len(form.pages) > 1:
            if index:
                blocks.append(DividerBlock())
            blocks.append(HeaderBlock(text=PlainTextObject(text=_cut(plain(page.title), HEADER_MAX))))
        blocks.extend(_input_block(item) for item in page.inputs)
    view = View(
        type="modal",
        callback_id=form.action,
        title=PlainTextObject(text=_cut(plain(form.title), VIEW_TITLE_MAX)),
        submit=PlainTextObject(text=_cut(form.submit_label, VIEW_BUTTON_MAX)),
        close=PlainTextObject(text="Cancel"),
        blocks=blocks,
        private_metadata=private_metadata[:3000],
    )
    view.to_dict()  # validates now, not when Slack refuses it
    return view


def form_values(state: Mapping[str, Any]) -> FormValues:
    """A ``view_submission``'s ``view.state.values`` as the core's FormValues."""
    values: FormValues = {}
    for block_id, actions in (state.get("values") or {}).items():
        for action_id, data in actions.items():
            key = action_id or block_id
            kind = data.get("type")
            if kind == "multi_static_select":
                values[key] = tuple(o["value"] for o in data.get("selected_options") or ())
            elif kind == "static_select":
                selected = data.get("selected_option")
                values[key] = selected["value"] if selected else ""
            else:
                values[key] = data.get("value") or ""
    return values


def error_response(exc: InvalidInput, block_ids: Sequence[str]) -> dict[str, Any]:
    """``response_action: errors`` for a refused submission, on the block that was wrong
    (the first block when the field is not one of the form's inputs)."""
    return input_errors({exc.field: exc.message}, block_ids)


def input_errors(errors: Mapping[str, str], block_ids: Sequence[str]) -> dict[str, Any]:
    out: dict[str, str] = {}
    for field, text in errors.items():
        block = field if field in block_ids else (block_ids[0] if block_ids else field)
        out[block] = _cut(text, 2000)
    return {"response_action": "errors", "errors": out}


def home_view(sections: Sequence[OutboundMessage], buttons: Sequence[Button]) -> View:
    """The App Home tab: each message rendered in turn, then the main buttons."""
    blocks: list[Block] = [HeaderBlock(text=PlainTextObject(text="PeerLoop mock interviews"))]
    if buttons:
        blocks.append(ActionsBlock(elements=[_button(b) for b in buttons]))
    for message in sections:
        blocks.append(DividerBlock())
        blocks.extend(message_blocks(message))
    view = View(type="home", blocks=blocks[:100])
    view.to_dict()
    return view

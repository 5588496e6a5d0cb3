"""Neutral messages and forms as Slack Block Kit.

Everything is built with :mod:`slack_sdk.models` and turned into dicts through their
``to_dict()``, which validates Block Kit limits (lengths, counts): a message that would be
refused by Slack fails here, in tests, instead.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping, Sequence
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

from bot.core.mentions import MENTION, plain_mentions
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
MESSAGE_BLOCKS_MAX = 50
OPTION_TEXT_MAX = 75
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
TEXT_INPUT_MAX = 3000
PLACEHOLDER_MAX = 150
FALLBACK_TEXT_MAX = 3000

_TONE_EMOJI = {
    Tone.INFO: "",
    Tone.SUCCESS: ":white_check_mark: ",
    Tone.WARNING: ":warning: ",
    Tone.ERROR: ":x: ",
}
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
#: A Slack member id (``U…``, or ``W…`` in Enterprise Grid): only these become ``<@…>``.
SLACK_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,20}$")
_HELD = re.compile("\x00(\\d+)\x00")


def slack_date(unix: int, style: str) -> str:
    """``<!date^unix^token|fallback>``: Slack shows it in the viewer's zone."""
    when = datetime.fromtimestamp(unix, UTC)
    fallback = when.strftime(_FALLBACK_FORMATS.get(style, "%d %b %Y %H:%M UTC"))
    return f"<!date^{unix}^{_DATE_TOKENS.get(style, _DATE_TOKENS['F'])}|{fallback}>"


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mrkdwn(text: str, mentions: Collection[str] = ()) -> str:
    """The neutral markup as Slack mrkdwn: ``**b**`` → ``*b*``, ``- `` bullets → ``•``, times;
    a mention token of a member in ``mentions`` (the members the message addresses) as
    ``<@U…>``, any other token (one typed into a member's own text) as the escaped name."""
    held: list[str] = []

    def hold(found: re.Match[str]) -> str:
        ref, name = found.group("ref"), found.group("name")
        held.append(f"<@{ref}>" if ref in mentions and SLACK_USER_ID.match(ref) else escape(name))
        return f"\x00{len(held) - 1}\x00"

    text = _BOLD.sub(r"*\1*", escape(MENTION.sub(hold, text.replace("\x00", ""))))
    lines = [f"• {line[2:]}" if line.startswith("- ") else line for line in text.splitlines()]
    text = replace_time_tokens("\n".join(lines), slack_date)
    return _HELD.sub(lambda found: held[int(found.group(1))], text)


def plain(text: str) -> str:
    """Plain text (headers, buttons, options): no markup; times as their UTC fallback."""
    text = _BOLD.sub(r"\1", plain_mentions(text))
    return replace_time_tokens(
        text, lambda unix, style: slack_date(unix, style).split("|", 1)[1][:-1]
    )


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
    style = {
        ButtonStyle.PRIMARY: "primary",
        ButtonStyle.SUCCESS: "primary",
        ButtonStyle.DANGER: "danger",
    }
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
            action_id=select.action,
            placeholder=placeholder,
            options=options,
            max_selected_items=select.max_values,
        )
    return StaticSelectElement(action_id=select.action, placeholder=placeholder, options=options)


def message_blocks(message: OutboundMessage) -> list[Block]:
    blocks: list[Block] = []
    emoji = _TONE_EMOJI[message.tone]
    if message.title:
        blocks.append(
            HeaderBlock(
                text=PlainTextObject(text=_cut(plain(message.title), HEADER_MAX), emoji=True)
            )
        )
    text = mrkdwn(message.text, message.mentions)
    if text.strip():
        for i, chunk in enumerate(_chunks(text, SECTION_TEXT_MAX - len(emoji))):
            blocks.append(
                SectionBlock(text=MarkdownTextObject(text=(emoji if i == 0 else "") + chunk))
            )
    elif emoji and not message.title:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=emoji.strip())))
    inline: list[MarkdownTextObject] = []

    def flush() -> None:
        if inline:
            blocks.append(SectionBlock(fields=list(inline)))
            inline.clear()

    for item in message.fields:
        body = _cut(
            f"*{escape(plain(item.name))}*\n{mrkdwn(item.value, message.mentions)}", FIELD_TEXT_MAX
        )
        if item.inline:
            inline.append(MarkdownTextObject(text=body))
            if len(inline) == FIELDS_PER_SECTION:
                flush()
        else:
            flush()
            blocks.append(SectionBlock(text=MarkdownTextObject(text=body)))
    flush()
    elements: list[Any] = [_button(b) for b in message.buttons] + [
        _select(s) for s in message.selects
    ]
    for start in range(0, len(elements), ELEMENTS_PER_ACTIONS):
        blocks.append(ActionsBlock(elements=elements[start : start + ELEMENTS_PER_ACTIONS]))
    if message.attachments:
        names = ", ".join(a.filename for a in message.attachments)
        blocks.append(
            ContextBlock(
                elements=[MarkdownTextObject(text=_cut(f"Attached: {escape(names)}", 2000))]
            )
        )
    return _fit(blocks)


def _fit(blocks: list[Block]) -> list[Block]:
    """At most the 50 blocks Slack takes in a message: the buttons are kept, the text and
    fields beyond the room left are replaced by one line that says how many were left out."""
    if len(blocks) <= MESSAGE_BLOCKS_MAX:
        return blocks
    actions = [b for b in blocks if isinstance(b, ActionsBlock)][: MESSAGE_BLOCKS_MAX // 2]
    rest = [b for b in blocks if not isinstance(b, ActionsBlock)]
    room = MESSAGE_BLOCKS_MAX - len(actions) - 1
    note = ContextBlock(
        elements=[
            MarkdownTextObject(
                text=f"… and {len(rest) - room} more not shown here (Slack shows at most {MESSAGE_BLOCKS_MAX} parts)."
            )
        ]
    )
    return [*rest[:room], note, *actions]


def render_message(message: OutboundMessage) -> dict[str, Any]:
    """``{"text": fallback, "blocks": [...]}`` for chat.postMessage / respond()."""
    blocks = [b.to_dict() for b in message_blocks(message)]
    return {"text": fallback_text(message), "blocks": blocks}


def fallback_text(message: OutboundMessage) -> str:
    """The notification text (and what screen readers get). Slack reads it as mrkdwn, so it
    is escaped like the blocks: no text of a member's can ping, mention or link there."""
    parts = [p for p in (message.title, message.text) if p]
    text = escape(plain(" — ".join(parts))) if parts else "PeerLoop"
    return _cut(text, FALLBACK_TEXT_MAX)


# -- forms -------------------------------------------------------------------------------------


def _input_block(item: ChoiceInput | TextInput) -> InputBlock:
    element: Any
    if isinstance(item, ChoiceInput):
        options = [_option(o) for o in item.options]
        chosen = [o for o, n in zip(options, item.options, strict=True) if n.value in item.default]
        if item.multi:
            element = StaticMultiSelectElement(
                action_id=item.id,
                options=options,
                initial_options=chosen or None,
                placeholder=PlainTextObject(text="Choose…"),
            )
        else:
            element = StaticSelectElement(
                action_id=item.id,
                options=options,
                initial_option=chosen[0] if chosen else None,
                placeholder=PlainTextObject(text="Choose…"),
            )
    else:
        element = PlainTextInputElement(
            action_id=item.id,
            multiline=item.multiline,
            min_length=item.min_length or None,
            max_length=min(item.max_length, TEXT_INPUT_MAX),
            placeholder=PlainTextObject(text=_cut(item.placeholder, PLACEHOLDER_MAX))
            if item.placeholder
            else None,
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
        blocks.append(
            SectionBlock(text=MarkdownTextObject(text=_cut(mrkdwn(form.intro), SECTION_TEXT_MAX)))
        )
    for index, page in enumerate(form.pages):
        if len(form.pages) > 1:
            if index:
                blocks.append(DividerBlock())
            blocks.append(
                HeaderBlock(text=PlainTextObject(text=_cut(plain(page.title), HEADER_MAX)))
            )
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


def _text(value: Any) -> str:
    """An answer as Slack sends it: text. Anything else (a number, a list, an object) is a
    submission Slack would never send, refused whole as unreadable."""
    if not isinstance(value, str):
        raise TypeError(f"a form answer that is not text: {type(value).__name__}")
    return value


def form_values(state: Mapping[str, Any]) -> FormValues:
    """A ``view_submission``'s ``view.state.values`` as the core's FormValues (every answer
    text; a submission with any other kind of answer raises ``TypeError``)."""
    values: FormValues = {}
    for block_id, actions in (state.get("values") or {}).items():
        for action_id, data in actions.items():
            key = action_id or block_id
            kind = data.get("type")
            if kind == "multi_static_select":
                values[key] = tuple(_text(o["value"]) for o in data.get("selected_options") or ())
            elif kind == "static_select":
                selected = data.get("selected_option")
                values[key] = _text(selected["value"]) if selected else ""
            else:
                value = data.get("value")
                values[key] = "" if value is None else _text(value)
    return values


def view_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    """A modal's ``private_metadata`` as PeerLoop writes it (JSON, e.g. the channel it was
    opened from), or nothing when it is empty or unreadable."""
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _one_of(values: Sequence[str]) -> str:
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]


def _plain_label(block: Mapping[str, Any]) -> str:
    label = block.get("label") or {}
    return str(
        label.get("text") if isinstance(label, Mapping) else label or block.get("block_id", "")
    )


def view_errors(view: Mapping[str, Any]) -> dict[str, str]:
    """What a submitted modal's own inputs show to be wrong, beside each input: a required
    input left empty, a choice that is not one of the input's options, a text outside its
    lengths. Pure parsing of the submission (no database, no Web API), so it can decide
    ``response_action: errors`` before the ack; the core checks everything again after it."""
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    for block in view.get("blocks") or ():
        if block.get("type") != "input":
            continue
        block_id = str(block.get("block_id", ""))
        element = block.get("element") or {}
        data = (values.get(block_id) or {}).get(element.get("action_id", "")) or {}
        label = _plain_label(block)
        required = not block.get("optional", False)
        kind = element.get("type")
        if kind in ("static_select", "multi_static_select"):
            options = list(element.get("options") or ())
            for group in element.get("option_groups") or ():
                options.extend(group.get("options") or ())
            allowed = [str(o.get("value")) for o in options]
            selected = data.get("selected_options") or (
                [data["selected_option"]] if data.get("selected_option") else []
            )
            chosen = [str(o.get("value")) for o in selected if isinstance(o, Mapping)]
            wrong = [c for c in chosen if c not in allowed]
            if wrong:
                errors[block_id] = (
                    f"{label}: got “{_cut(wrong[0], 40)}”; accepted: {_one_of(allowed)}."
                )
            elif required and not chosen:
                errors[block_id] = f"{label}: nothing chosen; accepted: {_one_of(allowed)}."
        elif kind == "plain_text_input":
            text = str(data.get("value") or "")
            low, high = (
                int(element.get("min_length") or 0),
                int(element.get("max_length") or TEXT_INPUT_MAX),
            )
            if not text:
                if required:
                    errors[block_id] = (
                        f"{label}: nothing written; accepted: {max(low, 1)} to {high} characters."
                    )
            elif not low <= len(text) <= high:
                errors[block_id] = (
                    f"{label}: {len(text)} characters; accepted: {low} to {high} characters."
                )
    return {block: _cut(text, 2000) for block, text in errors.items()}


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

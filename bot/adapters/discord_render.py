"""Neutral messages and forms, rendered for Discord: embeds, components, files and modals.

* :func:`render_message` turns an :class:`OutboundMessage` into content, an embed, a view
  and files. Time tokens become ``<t:unix:style>``, which Discord shows in each viewer's
  own zone. Buttons and selects carry the core action id as their ``custom_id``, so the
  persistent :class:`~bot.cogs.actions.ActionButton` handles them after a restart too.
* Text from members (names, feedback, pack titles) arrives inside the core's text, so
  everything that is not the neutral markup (``**bold**``, ``_italic_``, `` `code` ``,
  ``- `` bullets, time tokens) is escaped: no masked link, heading, quote, spoiler or
  mention can come from a member's text. Every message carries ``allowed_mentions`` for
  exactly the members the core mentions (:mod:`bot.core.mentions`), nobody else.
* A form's screens are drawn in :mod:`bot.adapters.discord_forms`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.core.mentions import plain_mentions, replace_mentions
from bot.core.messages import (
    Button,
    ButtonStyle,
    OutboundMessage,
    Select,
    Tone,
    replace_time_tokens,
)

# Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_TOTAL = 6000
CONTENT = 2000
ROWS = 5
BUTTONS_PER_ROW = 5
MODAL_TITLE = 45
MODAL_INPUTS = 5
TEXT_INPUT_LABEL = 45
TEXT_INPUT_MAX = 4000
SELECT_PLACEHOLDER = 150
OPTION_LABEL = 100
OPTION_DESCRIPTION = 100

TONE_COLOURS = {
    Tone.INFO: discord.Colour.blurple(),
    Tone.SUCCESS: discord.Colour.green(),
    Tone.WARNING: discord.Colour.orange(),
    Tone.ERROR: discord.Colour.red(),
}
BUTTON_STYLES = {
    ButtonStyle.PRIMARY: discord.ButtonStyle.primary,
    ButtonStyle.SECONDARY: discord.ButtonStyle.secondary,
    ButtonStyle.SUCCESS: discord.ButtonStyle.success,
    ButtonStyle.DANGER: discord.ButtonStyle.danger,
}


def discord_time(unix: int, style: str) -> str:
    return f"<t:{unix}:{style}>"


#: What Discord's markdown reads that the neutral markup never uses: masked links, angle
#: brackets (mentions, channels, emoji, timestamps), headings, quotes, strike-through,
#: spoilers and the backslash itself. Discord shows ``\\x`` as ``x`` for punctuation.
_MARKDOWN = re.compile(r"([\\\[\]<>#~|])")
_EVERYONE = re.compile(r"@(everyone|here)")
#: Code spans are left alone (Discord shows their text as typed), and so are the core's tokens.
_VERBATIM = re.compile(r"(```[\s\S]*?```|`[^`\n]*`|\{t:-?\d+:[FfDdTtR]\}|\{@[^{}\n]*\})")


#: Characters that change how the text around them is shown, and that PeerLoop's own text never
#: uses: bidirectional embeddings, overrides and isolates (a name with U+202E would show the
#: rest of PeerLoop's sentence backwards) and control characters other than tab and newline.
_CONTROLS = re.compile(r"[\u202a-\u202e\u2066-\u2069\x00-\x08\x0b-\x1f\x7f]")


def strip_controls(text: str) -> str:
    """Member text without characters that reorder or hide what is shown after it."""
    return _CONTROLS.sub("", text)


def escape_markdown(text: str) -> str:
    """Text as Discord shows it literally, keeping the neutral markup's bold, italic and bullets."""
    return _EVERYONE.sub("@\u200b\\1", _MARKDOWN.sub(r"\\\1", text))


def render_text(text: str, mentions: Sequence[str] = ()) -> str:
    """The neutral markup for Discord: member text escaped, time tokens rendered, and the
    mention tokens of the members in ``mentions`` as ``<@id>`` (any other token is a name)."""
    parts = _VERBATIM.split(strip_controls(text))
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0:
            out.append(escape_markdown(part))
        elif part.startswith("`"):
            out.append(part)
        elif part.startswith("{t:"):
            out.append(replace_time_tokens(part, discord_time))
        else:
            out.append(
                replace_mentions(
                    part,
                    lambda ref, name: (
                        f"<@{ref}>"
                        if ref in mentions and ref.isascii() and ref.isdigit()
                        else escape_markdown(name)
                    ),
                )
            )
    return "".join(out)


def render_plain(text: str) -> str:
    """Where Discord shows no markdown (embed titles, field names): only mentions are neutralised."""
    text = plain_mentions(replace_time_tokens(strip_controls(text), discord_time))
    return _EVERYONE.sub("@\u200b\\1", text.replace("<@", "<\u200b@"))


def allowed_mentions(message: OutboundMessage) -> discord.AllowedMentions:
    """Pings only for the members the message addresses; never everyone, roles or anyone else."""
    users = sorted({int(ref) for ref in message.mentions if ref.isascii() and ref.isdigit()})
    if not users:
        return discord.AllowedMentions.none()
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(u) for u in users]
    )


def _clip(text: str, limit: int) -> str:
    """Within Discord's limit, without the controls of :func:`strip_controls` (every label,
    title and placeholder goes through here)."""
    text = strip_controls(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class RenderedMessage:
    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    files: list[discord.File] = field(default_factory=list)
    allowed_mentions: discord.AllowedMentions = field(default_factory=discord.AllowedMentions.none)

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Messageable.send`` / ``Webhook.send``."""
        kwargs: dict[str, Any] = {"allowed_mentions": self.allowed_mentions}
        if self.content:
            kwargs["content"] = self.content
        if self.embed is not None:
            kwargs["embed"] = self.embed
        if self.view is not None:
            kwargs["view"] = self.view
        if self.files:
            kwargs["files"] = self.files
        return kwargs


def render_embed(message: OutboundMessage) -> discord.Embed:
    """The message as one embed, within Discord's per-embed and total limits."""
    budget = EMBED_TOTAL
    title = _clip(render_plain(message.title), EMBED_TITLE) if message.title else None
    budget -= len(title or "")
    description = (
        _clip(render_text(message.text, message.mentions), min(EMBED_DESCRIPTION, budget))
        if message.text
        else None
    )
    budget -= len(description or "")
    embed = discord.Embed(title=title, description=description, colour=TONE_COLOURS[message.tone])
    for item in message.fields[:EMBED_FIELDS]:
        name = _clip(render_plain(item.name), EMBED_FIELD_NAME) or "\u200b"
        value = _clip(render_text(item.value, message.mentions), EMBED_FIELD_VALUE) or "\u200b"
        if len(name) + len(value) > budget:
            break
        budget -= len(name) + len(value)
        embed.add_field(name=name, value=value, inline=item.inline)
    return embed


def action_button(button: Button, row: int | None = None) -> discord.ui.Button[Any]:
    return discord.ui.Button(
        label=_clip(button.label, 80),
        custom_id=button.action,
        style=BUTTON_STYLES[button.style],
        row=row,
    )


def action_select(select: Select, row: int | None = None) -> discord.ui.Select[Any]:
    return discord.ui.Select(
        custom_id=select.action,
        placeholder=_clip(select.placeholder, SELECT_PLACEHOLDER),
        min_values=select.min_values,
        max_values=min(select.max_values, len(select.options)),
        options=[
            discord.SelectOption(
                label=_clip(o.label, OPTION_LABEL),
                value=o.value,
                description=_clip(o.description, OPTION_DESCRIPTION) if o.description else None,
            )
            for o in select.options
        ],
        row=row,
    )


def render_view(buttons: Sequence[Button], selects: Sequence[Select]) -> discord.ui.View | None:
    """Selects take a row each, buttons fill the remaining rows five at a time.

    The view is only a carrier for the components: the persistent action handlers in the
    cog answer them by ``custom_id``, so it never times out and holds no state.
    """
    if not buttons and not selects:
        return None
    view = discord.ui.View(timeout=None)
    row = 0
    for select in selects[:ROWS]:
        view.add_item(action_select(select, row))
        row += 1
    for i, button in enumerate(buttons[: (ROWS - row) * BUTTONS_PER_ROW]):
        view.add_item(action_button(button, row + i // BUTTONS_PER_ROW))
    # Finished before it is sent: discord.py then keeps no per-message copy in memory.
    view.stop()
    return view


def render_files(message: OutboundMessage) -> list[discord.File]:
    return [
        discord.File(io.BytesIO(a.data), filename=a.filename, description=a.description)
        for a in message.attachments
    ]


def render_message(message: OutboundMessage) -> RenderedMessage:
    """Short untitled text goes in the message content; anything richer in an embed."""
    rendered = RenderedMessage(
        view=render_view(message.buttons, message.selects),
        files=render_files(message),
        allowed_mentions=allowed_mentions(message),
    )
    text = render_text(message.text, message.mentions)
    if message.title is None and not message.fields and len(text) <= CONTENT:
        rendered.content = text or ("\u200b" if rendered.view or rendered.files else "Done.")
    else:
        rendered.embed = render_embed(message)
    return rendered

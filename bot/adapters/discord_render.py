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
* A form's screens are drawn from its stored draft (:func:`form_start`, :func:`form_choices`,
  :func:`form_modal`). A modal holds at most five text inputs and no choices, so a page
  with choices is an ephemeral message with selects and a *Continue* button, and its text
  inputs follow in modals of at most five. Nothing is dropped: every input is asked for.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

from bot.core.forms import FormDraft
from bot.core.mentions import plain_mentions, replace_mentions
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
            out.append(replace_mentions(
                part, lambda ref, name: f"<@{ref}>" if ref in mentions and ref.isdigit() else escape_markdown(name)
            ))
    return "".join(out)


def render_plain(text: str) -> str:
    """Where Discord shows no markdown (embed titles, field names): only mentions are neutralised."""
    text = plain_mentions(replace_time_tokens(strip_controls(text), discord_time))
    return _EVERYONE.sub("@\u200b\\1", text.replace("<@", "<\u200b@"))


def allowed_mentions(message: OutboundMessage) -> discord.AllowedMentions:
    """Pings only for the members the message addresses; never everyone, roles or anyone else."""
    users = sorted({int(ref) for ref in message.mentions if ref.isdigit()})
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
    description = _clip(render_text(message.text, message.mentions), min(EMBED_DESCRIPTION, budget)) \
        if message.text else None
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
    rendered = RenderedMessage(view=render_view(message.buttons, message.selects), files=render_files(message),
                               allowed_mentions=allowed_mentions(message))
    text = render_text(message.text, message.mentions)
    if message.title is None and not message.fields and len(text) <= CONTENT:
        rendered.content = text or ("\u200b" if rendered.view or rendered.files else "Done.")
    else:
        rendered.embed = render_embed(message)
    return rendered


# -- forms -----------------------------------------------------------------------------
#
# A form's progress is a stored draft (:mod:`bot.core.forms`); these functions only draw
# a draft's screens. Every component's custom id is ``plform:<draft id>:…`` and no view
# or modal is kept by discord.py (each is finished before it is sent), so the cog answers
# every press itself, after a restart too, and checks who pressed against the draft.

FORM_PREFIX = "plform"
#: A select message holds four selects and the Continue button's row.
CHOICES_PER_MESSAGE = ROWS - 1
#: The core numbers a form's pages ("… (2/3)"); Discord numbers its own screens instead.
_PAGE_NUMBER = re.compile(r"\s*\(\d+/\d+\)$")


@dataclass(frozen=True)
class FormStep:
    """One screen of a form: either choices (a select message) or up to five text inputs (a modal)."""

    title: str
    choices: tuple[ChoiceInput, ...] = ()
    texts: tuple[TextInput, ...] = ()


def form_steps(form: FormSpec) -> list[FormStep]:
    """Split every page into select screens (≤4 choices) and modals (≤5 text inputs),
    numbered as the member sees them: "Scores (1/5)", "Scores (2/5)", … "Notes (5/5)"."""
    raw: list[tuple[str, tuple[ChoiceInput, ...], tuple[TextInput, ...]]] = []
    for page in form.pages:
        name = _PAGE_NUMBER.sub("", page.title or form.title) or form.title
        choices = [i for i in page.inputs if isinstance(i, ChoiceInput)]
        texts = [i for i in page.inputs if isinstance(i, TextInput)]
        for start in range(0, len(choices), CHOICES_PER_MESSAGE):
            raw.append((name, tuple(choices[start : start + CHOICES_PER_MESSAGE]), ()))
        for start in range(0, len(texts), MODAL_INPUTS):
            raw.append((name, (), tuple(texts[start : start + MODAL_INPUTS])))
    total = len(raw)
    steps = []
    for n, (name, step_choices, step_texts) in enumerate(raw, 1):
        suffix = f" ({n}/{total})" if total > 1 else ""
        steps.append(FormStep(_clip(name, MODAL_TITLE - len(suffix)) + suffix, step_choices, step_texts))
    return steps


def form_id(draft_id: str, *parts: object) -> str:
    return ":".join((FORM_PREFIX, draft_id, *(str(p) for p in parts)))


@dataclass(frozen=True)
class FormPress:
    """A parsed ``plform:`` custom id: which draft, which screen, which component."""

    draft_id: str
    kind: str  # open, next, continue, choice, modal
    step: int = 0
    row: int = 0


_PRESS = re.compile(
    rf"^{FORM_PREFIX}:(?P<draft>[A-Za-z0-9_-]{{1,43}}):"
    r"(?:(?P<open>open)|(?P<step>\d{1,3}):(?:(?P<kind>next|continue|modal)|c(?P<row>\d)))$"
)


def parse_form_id(custom_id: str) -> FormPress | None:
    """The press a custom id names, or None when it is not one of ours (edited, malformed)."""
    match = _PRESS.match(custom_id)
    if match is None:
        return None
    if match["open"]:
        return FormPress(match["draft"], "open")
    if match["row"] is not None:
        return FormPress(match["draft"], "choice", int(match["step"]), int(match["row"]))
    return FormPress(match["draft"], match["kind"], int(match["step"]))


def is_form_id(custom_id: str) -> bool:
    return custom_id.startswith(FORM_PREFIX + ":")


def form_start(draft: FormDraft) -> tuple[str, discord.ui.View]:
    """The message that opens a form: its intro, its length, and the button to the first screen.

    The first screen is reached through a button, because a deferred interaction can no
    longer answer with a modal."""
    form = draft.form
    steps = len(form_steps(form))
    intro = render_text(form.intro) + "\n" if form.intro else ""
    text = _clip(f"{intro}**{escape_markdown(form.title)}** ({steps} step{'s' if steps != 1 else ''}).", CONTENT)
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label=_clip(f"Open: {form.title}", 80), style=discord.ButtonStyle.primary, custom_id=form_id(draft.id, "open"),
    ))
    view.stop()
    return text, view


def form_next(draft: FormDraft, index: int) -> tuple[str, discord.ui.View]:
    """After a modal: a modal cannot open another modal, so a button opens the next one."""
    step = form_steps(draft.form)[index]
    view = discord.ui.View(timeout=None)
    view.add_item(discord.ui.Button(
        label="Continue", style=discord.ButtonStyle.primary, custom_id=form_id(draft.id, index, "next"),
    ))
    view.stop()
    return f"Saved. Next: {escape_markdown(step.title)}.", view


def refused_step(steps: Sequence[FormStep], inputs: set[str]) -> int:
    """The first screen holding an input a refusal names (else the last): where the member
    goes back to, so a refused answer on an earlier screen can be changed."""
    for index, step in enumerate(steps):
        if inputs & ({c.id for c in step.choices} | {t.id for t in step.texts}):
            return index
    return len(steps) - 1


def form_back(draft: FormDraft, index: int) -> discord.ui.Button[Any]:
    """The button under a refusal that reopens screen ``index`` with the answers kept."""
    title = form_steps(draft.form)[index].title
    return discord.ui.Button(
        label=_clip(f"Change: {title}", 80), style=discord.ButtonStyle.primary,
        custom_id=form_id(draft.id, index, "next"),
    )


def form_choices(draft: FormDraft, index: int) -> tuple[str, discord.ui.View]:
    """A screen of choices: up to four selects (showing what was chosen) and Continue."""
    steps = form_steps(draft.form)
    step = steps[index]
    view = discord.ui.View(timeout=None)
    for row, choice in enumerate(step.choices):
        current = draft.values.get(choice.id, ())
        chosen = {current} if isinstance(current, str) else set(current)
        view.add_item(discord.ui.Select(
            custom_id=form_id(draft.id, index, f"c{row}"),
            # A select has no label of its own: the placeholder names what it asks.
            placeholder=_clip(f"{choice.label}: {choice.hint}" if choice.hint else choice.label, SELECT_PLACEHOLDER),
            min_values=1 if choice.required else 0,
            max_values=len(choice.options) if choice.multi else 1,
            options=[
                discord.SelectOption(
                    label=_clip(o.label, OPTION_LABEL),
                    value=o.value,
                    description=_clip(o.description, OPTION_DESCRIPTION) if o.description else None,
                    default=o.value in chosen,
                )
                for o in choice.options
            ],
            row=row,
        ))
    label = "Continue" if index + 1 < len(steps) else _clip(draft.form.submit_label, 80)
    view.add_item(discord.ui.Button(
        label=label, style=discord.ButtonStyle.primary, custom_id=form_id(draft.id, index, "continue"),
        row=len(step.choices),
    ))
    view.stop()
    return _clip(f"**{escape_markdown(step.title)}**", CONTENT), view


def form_modal(draft: FormDraft, index: int) -> discord.ui.Modal:
    """A screen of text inputs, filled with what was saved so far."""
    step = form_steps(draft.form)[index]
    modal = discord.ui.Modal(title=step.title, timeout=None, custom_id=form_id(draft.id, index, "modal"))
    for n, text in enumerate(step.texts):
        current = draft.values.get(text.id)
        modal.add_item(discord.ui.TextInput(
            label=_clip(text.label, TEXT_INPUT_LABEL),
            custom_id=form_id(draft.id, index, n),
            style=discord.TextStyle.paragraph if text.multiline else discord.TextStyle.short,
            required=text.required,
            min_length=min(text.min_length, TEXT_INPUT_MAX) or None,
            max_length=min(text.max_length, TEXT_INPUT_MAX),
            placeholder=_clip(text.placeholder or text.hint or "", 100) or None,
            default=current if isinstance(current, str) and current else text.default,
        ))
    modal.stop()  # discord.py keeps no copy: the cog answers the submit from the stored draft
    return modal


def modal_values(draft: FormDraft, index: int, data: Mapping[str, Any]) -> FormValues:
    """The submitted texts of screen ``index``, by input id (unknown ids ignored, lengths clipped)."""
    step = form_steps(draft.form)[index]
    by_id = {form_id(draft.id, index, n): text for n, text in enumerate(step.texts)}
    found: FormValues = {}

    def walk(node: Any) -> None:
        if isinstance(node, Mapping):
            custom_id = node.get("custom_id")
            if isinstance(custom_id, str) and custom_id in by_id and isinstance(node.get("value"), str):
                text = by_id[custom_id]
                found[text.id] = node["value"][: text.max_length]
            for key in ("components", "component"):
                walk(node.get(key))
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(data.get("components"))
    return found

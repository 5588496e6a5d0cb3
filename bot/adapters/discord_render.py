"""Neutral messages and forms, rendered for Discord: embeds, components, files and modals.

* :func:`render_message` turns an :class:`OutboundMessage` into content, an embed, a view
  and files. Time tokens become ``<t:unix:style>``, which Discord shows in each viewer's
  own zone. Buttons and selects carry the core action id as their ``custom_id``, so the
  persistent :class:`~bot.cogs.mock.ActionButton` handles them after a restart too.
* :class:`FormFlow` shows a :class:`FormSpec` page by page. A modal holds at most five
  text inputs and no choices, so a page with choices is an ephemeral message with selects
  and a *Continue* button, and its text inputs follow in modals of at most five. Nothing
  is dropped: every input of the form is asked for, and the collected values, keyed by
  input id, go to the ``on_submit`` callback once.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import discord

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


def render_text(text: str) -> str:
    """Core markup is a subset of Discord's markdown; only time tokens need rewriting."""
    return replace_time_tokens(text, discord_time)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class RenderedMessage:
    content: str | None = None
    embed: discord.Embed | None = None
    view: discord.ui.View | None = None
    files: list[discord.File] = field(default_factory=list)

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``Messageable.send`` / ``Webhook.send``."""
        kwargs: dict[str, Any] = {}
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
    title = _clip(render_text(message.title), EMBED_TITLE) if message.title else None
    budget -= len(title or "")
    description = _clip(render_text(message.text), min(EMBED_DESCRIPTION, budget)) if message.text else None
    budget -= len(description or "")
    embed = discord.Embed(title=title, description=description, colour=TONE_COLOURS[message.tone])
    for item in message.fields[:EMBED_FIELDS]:
        name = _clip(render_text(item.name), EMBED_FIELD_NAME) or "\u200b"
        value = _clip(render_text(item.value), EMBED_FIELD_VALUE) or "\u200b"
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
    rendered = RenderedMessage(view=render_view(message.buttons, message.selects), files=render_files(message))
    text = render_text(message.text)
    if message.title is None and not message.fields and len(text) <= CONTENT:
        rendered.content = text or ("\u200b" if rendered.view or rendered.files else "Done.")
    else:
        rendered.embed = render_embed(message)
    return rendered


# -- forms -----------------------------------------------------------------------------


@dataclass(frozen=True)
class FormStep:
    """One screen of a form: either choices (a select message) or up to five text inputs (a modal)."""

    title: str
    choices: tuple[ChoiceInput, ...] = ()
    texts: tuple[TextInput, ...] = ()


#: A select message holds four selects and the Continue button's row.
CHOICES_PER_MESSAGE = ROWS - 1


def form_steps(form: FormSpec) -> list[FormStep]:
    """Split every page into select screens (≤4 choices) and modals (≤5 text inputs)."""
    steps: list[FormStep] = []
    for page in form.pages:
        title = _clip(page.title or form.title, MODAL_TITLE)
        choices = [i for i in page.inputs if isinstance(i, ChoiceInput)]
        texts = [i for i in page.inputs if isinstance(i, TextInput)]
        for start in range(0, len(choices), CHOICES_PER_MESSAGE):
            steps.append(FormStep(title, choices=tuple(choices[start : start + CHOICES_PER_MESSAGE])))
        for start in range(0, len(texts), MODAL_INPUTS):
            steps.append(FormStep(title, texts=tuple(texts[start : start + MODAL_INPUTS])))
    return steps


SubmitForm = Callable[[discord.Interaction, FormValues], Awaitable[None]]


class FormFlow:
    """Walks one member through a form; ``on_submit`` gets all values once, at the end.

    The state lives in memory for ``timeout`` seconds (an unfinished form is simply
    started again with the same command or button).
    """

    def __init__(self, form: FormSpec, user_id: int, on_submit: SubmitForm, *, timeout: float = 900) -> None:
        self.form = form
        self.user_id = user_id
        self.on_submit = on_submit
        self.timeout = timeout
        self.steps = form_steps(form)
        self.values: FormValues = {
            i.id: tuple(i.default) if isinstance(i, ChoiceInput) and i.multi else (i.default[0] if i.default else "")
            for i in form.inputs
            if isinstance(i, ChoiceInput) and i.default
        }
        self.index = 0
        self.token = secrets.token_hex(6)
        self.done = False

    # The first screen is reached through a button, because a deferred interaction can no
    # longer answer with a modal.
    def start_view(self) -> discord.ui.View:
        view = discord.ui.View(timeout=self.timeout)
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=_clip(f"Open: {self.form.title}", 80),
            style=discord.ButtonStyle.primary,
            custom_id=f"plform:{self.token}:open",
        )
        button.callback = self._continue  # type: ignore[method-assign]
        view.add_item(button)
        return view

    def start_text(self) -> str:
        pages = len(self.steps)
        intro = render_text(self.form.intro) + "\n" if self.form.intro else ""
        return _clip(f"{intro}**{self.form.title}** ({pages} step{'s' if pages != 1 else ''}).", CONTENT)

    async def _continue(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message("This form belongs to someone else.", ephemeral=True)
            return
        await self.show_step(interaction)

    def _missing(self, step: FormStep) -> list[str]:
        return [c.label for c in step.choices if c.required and not self.values.get(c.id)]

    async def show_step(self, interaction: discord.Interaction) -> None:
        """Answer ``interaction`` with the current step (a modal or a select message) or submit."""
        if self.done:
            await interaction.response.send_message("This form was already sent.", ephemeral=True)
            return
        if self.index >= len(self.steps):
            self.done = True
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.on_submit(interaction, dict(self.values))
            return
        step = self.steps[self.index]
        if step.texts:
            if interaction.type is discord.InteractionType.modal_submit:
                # A modal cannot open another modal: offer a button that does.
                await interaction.response.send_message(
                    f"Saved. Next: {step.title}.", view=self._next_view("Continue"), ephemeral=True
                )
                return
            await interaction.response.send_modal(self._modal(step))
            return
        await interaction.response.send_message(
            _clip(f"**{step.title}**", CONTENT), view=self._choice_view(step), ephemeral=True
        )

    def _next_view(self, label: str) -> discord.ui.View:
        view = discord.ui.View(timeout=self.timeout)
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, style=discord.ButtonStyle.primary, custom_id=f"plform:{self.token}:{self.index}:next"
        )
        button.callback = self._continue  # type: ignore[method-assign]
        view.add_item(button)
        return view

    def _choice_view(self, step: FormStep) -> discord.ui.View:
        view = discord.ui.View(timeout=self.timeout)
        for row, choice in enumerate(step.choices):
            current = self.values.get(choice.id, ())
            chosen = {current} if isinstance(current, str) else set(current)
            select: discord.ui.Select[Any] = discord.ui.Select(
                custom_id=f"plform:{self.token}:{self.index}:c{row}",
                # A select has no label of its own: the placeholder names what it asks.
                placeholder=_clip(f"{choice.label}: {choice.hint}" if choice.hint else choice.label,
                                  SELECT_PLACEHOLDER),
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
            )
            select.callback = self._picker(choice, select)  # type: ignore[method-assign]
            view.add_item(select)
        label = "Continue" if self.index + 1 < len(self.steps) else _clip(self.form.submit_label, 80)
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label,
            style=discord.ButtonStyle.primary,
            custom_id=f"plform:{self.token}:{self.index}:continue",
            row=len(step.choices),
        )
        button.callback = self._after_choices  # type: ignore[method-assign]
        view.add_item(button)
        return view

    def _picker(
        self, choice: ChoiceInput, select: discord.ui.Select[Any]
    ) -> Callable[[discord.Interaction], Awaitable[None]]:
        async def picked(interaction: discord.Interaction) -> None:
            values = tuple(select.values)
            self.values[choice.id] = values if choice.multi else (values[0] if values else "")
            await interaction.response.defer()

        return picked

    async def _after_choices(self, interaction: discord.Interaction) -> None:
        if interaction.user.id != self.user_id:
            await interaction.response.send_message("This form belongs to someone else.", ephemeral=True)
            return
        missing = self._missing(self.steps[self.index])
        if missing:
            await interaction.response.send_message(
                "Please choose: " + ", ".join(missing) + ".", ephemeral=True
            )
            return
        self.index += 1
        await self.show_step(interaction)

    def _modal(self, step: FormStep) -> discord.ui.Modal:
        flow = self
        index = self.index

        class PageModal(discord.ui.Modal):
            async def on_submit(self, interaction: discord.Interaction) -> None:
                for item in self.children:
                    if isinstance(item, discord.ui.TextInput) and item.custom_id in ids:
                        flow.values[ids[item.custom_id]] = item.value
                if flow.index == index:
                    flow.index += 1
                await flow.show_step(interaction)

        modal = PageModal(title=step.title, timeout=self.timeout, custom_id=f"plform:{self.token}:{index}:modal")
        ids: dict[str, str] = {}
        for n, text in enumerate(step.texts):
            ids[f"plform:{self.token}:{index}:{n}"] = text.id
            current = self.values.get(text.id)
            modal.add_item(
                discord.ui.TextInput(
                    label=_clip(text.label, TEXT_INPUT_LABEL),
                    custom_id=f"plform:{self.token}:{index}:{n}",
                    style=discord.TextStyle.paragraph if text.multiline else discord.TextStyle.short,
                    required=text.required,
                    min_length=min(text.min_length, TEXT_INPUT_MAX) or None,
                    max_length=min(text.max_length, TEXT_INPUT_MAX),
                    placeholder=_clip(text.placeholder or text.hint or "", 100) or None,
                    default=current if isinstance(current, str) and current else text.default,
                )
            )
        return modal

"""Discord's form screens: a form of several screens, its progress in a stored draft.

A reply that carries a form (:class:`~bot.core.messages.FormSpec`) is stored as a draft bound
to the member (:class:`~bot.core.services.form_drafts.FormDraftService`) and answered with a
button to its first screen; every ``plform:`` press or modal submit is answered from the
draft, after a restart too: choices are checked against the form's options, text against its
limits, and no edited id skips a screen. The last screen sends the answers to the form's
action like any button (through the face), and the screen is edited to say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import discord

from bot.adapters.discord_carrier import mark_sent
from bot.adapters.discord_forms import (
    FormStep,
    form_back,
    form_choices,
    form_modal,
    form_next,
    form_start,
    form_steps,
    modal_values,
    parse_form_id,
    refused_step,
)
from bot.adapters.discord_render import BUTTONS_PER_ROW, ROWS, action_button, render_message
from bot.cogs.base import FormFace
from bot.core.forms import FormDraft
from bot.core.messages import OutboundMessage, Tone
from bot.core.models import Platform
from bot.core.services.form_drafts import EXPIRED, FormDraftService

__all__ = ["FORM_GONE", "FormScreens", "register"]

FORM_GONE = EXPIRED


class FormScreens:
    """The form screens of one Discord face: opening a form, and every press on its screens."""

    def __init__(self, face: FormFace) -> None:
        self._face = face

    @property
    def forms(self) -> FormDraftService:
        """The stored form drafts (wired by ``build_app``)."""
        assert self._face.app.forms is not None, "build_app wires the form drafts"
        return self._face.app.forms

    async def open(self, interaction: discord.Interaction, message: OutboundMessage) -> None:
        """Store a draft of the form for this member and send the button to its first screen."""
        assert message.form is not None
        draft = await self.forms.start(Platform.DISCORD, str(interaction.user.id), message.form)
        # The message around the form (a list of parts, a deadline, buttons for other parts)
        # stays: its embed and buttons go with the form's start button.
        rendered = render_message(replace(message, form=None, selects=()))
        text, view = form_start(draft)
        content = (rendered.content + "\n" if rendered.content and message.text else "") + text
        for i, button in enumerate(message.buttons[: BUTTONS_PER_ROW * (ROWS - 1)]):
            view.add_item(action_button(button, 1 + i // BUTTONS_PER_ROW))
        extra: dict[str, Any] = {"embed": rendered.embed} if rendered.embed is not None else {}
        if rendered.files:
            extra["files"] = rendered.files
        await interaction.followup.send(
            content[:2000],
            view=view,
            ephemeral=True,
            allowed_mentions=rendered.allowed_mentions,
            **extra,
        )

    async def press(self, interaction: discord.Interaction, custom_id: str) -> None:
        """A press or submit on a form screen: checked against the stored draft (its owner,
        its expiry) before anything changes, then answered with the next screen."""
        press = parse_form_id(custom_id)
        if press is None:
            await self._face.refuse(interaction, FORM_GONE)
            return
        owner = str(interaction.user.id)
        draft = await self.forms.load(press.draft_id, Platform.DISCORD, owner)
        steps = form_steps(draft.form)
        if press.kind == "open":
            await self._show_step(interaction, draft, draft.step)
            return
        if press.step >= len(steps):
            await self._face.refuse(interaction, FORM_GONE)
            return
        step = steps[press.step]
        if press.step > draft.step or not _press_fits(interaction, press.kind, step):
            # Only what the screen's own components send, on a screen already reached: no edited
            # id skips a screen (a modal's id pressed as a button saves no text, Continue on texts).
            await self._face.refuse(interaction, FORM_GONE)
            return
        if press.kind == "next":
            await self._show_step(interaction, draft, draft.step)
        elif press.kind == "choice":
            if press.row >= len(step.choices):
                await self._face.refuse(interaction, FORM_GONE)
                return
            choice = step.choices[press.row]
            data: Mapping[str, Any] = interaction.data or {}
            picked = tuple(dict.fromkeys(str(v) for v in data.get("values", ())))  # each once
            if not set(picked) <= {o.value for o in choice.options} or (
                len(picked) > 1 and not choice.multi
            ):
                await self._face.refuse(
                    interaction, f"That is not one of the choices for “{choice.label}”."
                )
                return
            await self.forms.update(
                draft.id,
                Platform.DISCORD,
                owner,
                {choice.id: picked if choice.multi else (picked[0] if picked else "")},
            )
            if interaction.response.is_done():  # deferred by the boundary: say it was kept
                await interaction.followup.send("Saved.", ephemeral=True)
            else:
                await interaction.response.defer()
        elif press.kind == "continue":
            missing = [c.label for c in step.choices if c.required and not draft.values.get(c.id)]
            if missing:
                await self._face.refuse(interaction, "Please choose: " + ", ".join(missing) + ".")
                return
            draft = await self.forms.update(
                draft.id, Platform.DISCORD, owner, {}, step=press.step + 1
            )
            await self._show_step(interaction, draft, draft.step)
        elif press.kind == "modal" and step.texts:
            data = interaction.data or {}
            values = modal_values(draft, press.step, data)
            # Discord sends every required input; a submit without one was not made by its modal.
            missing = [
                t.label for t in step.texts if t.required and not str(values.get(t.id, "")).strip()
            ]
            if missing:
                await self._face.refuse(interaction, "Please fill in: " + ", ".join(missing) + ".")
                return
            draft = await self.forms.update(
                draft.id, Platform.DISCORD, owner, values, step=press.step + 1
            )
            await self._show_step(interaction, draft, draft.step)
        else:
            await self._face.refuse(interaction, FORM_GONE)

    async def _show_step(
        self, interaction: discord.Interaction, draft: FormDraft, index: int
    ) -> None:
        """Answer with screen ``index`` (a modal or a select message), or submit the form."""
        steps = form_steps(draft.form)
        if index >= len(steps):
            # The screen whose button sent the form is edited to say so (no stale buttons): a
            # deferred update acknowledges the press; without a screen, a private deferral.
            screen = interaction.message is not None and not interaction.response.is_done()
            if screen:
                await interaction.response.defer()
            else:
                await self._face.defer(interaction)
            taken = await self.forms.take(draft.id, Platform.DISCORD, str(interaction.user.id))
            try:
                result = await self._face.act(interaction, taken.form.action, dict(taken.values))
            except Exception:
                await self.forms.put_back(taken, len(steps) - 1)
                raise
            if result.tone is Tone.ERROR:  # refused: the answers stay, to be sent again
                # from the first screen holding an answer the refusal names (else the last one)
                back = refused_step(steps, {name for name, _ in result.field_errors})
                draft = await self.forms.put_back(taken, back)
                rendered = render_message(result)
                view = rendered.view or discord.ui.View(timeout=None)
                view.add_item(form_back(draft, back))
                view.stop()
                await interaction.followup.send(
                    ephemeral=True, **{**rendered.send_kwargs(), "view": view}
                )
                return
            if screen:
                await mark_sent(interaction, taken.form.title)
            await self._face.reply(interaction, result)
            return
        if steps[index].texts:
            # A modal cannot open another modal, and a deferred press cannot open one either.
            if (
                interaction.type is discord.InteractionType.modal_submit
                or interaction.response.is_done()
            ):
                await self._send_screen(interaction, *form_next(draft, index))
                return
            await interaction.response.send_modal(form_modal(draft, index))
            return
        await self._send_screen(interaction, *form_choices(draft, index))

    async def _send_screen(
        self, interaction: discord.Interaction, text: str, view: discord.ui.View
    ) -> None:
        if interaction.response.is_done():
            await interaction.followup.send(text, view=view, ephemeral=True)
        else:
            await interaction.response.send_message(text, view=view, ephemeral=True)


#: What each part of a form screen is on Discord: the interaction type and component type it sends.
_FORM_PARTS = {
    "next": (discord.InteractionType.component, discord.ComponentType.button.value),
    "continue": (discord.InteractionType.component, discord.ComponentType.button.value),
    "choice": (discord.InteractionType.component, discord.ComponentType.string_select.value),
    "modal": (discord.InteractionType.modal_submit, None),
}


def _press_fits(interaction: discord.Interaction, kind: str, step: FormStep) -> bool:
    """Whether the press is what the screen's component of that kind sends."""
    data: Mapping[str, Any] = interaction.data or {}
    itype, ctype = _FORM_PARTS[kind]
    if interaction.type is not itype or (ctype is not None and data.get("component_type") != ctype):
        return False
    if kind == "continue" or kind == "choice":
        return bool(step.choices)
    if kind == "modal":
        return bool(step.texts)
    return True


def register(face: FormFace) -> FormScreens:
    """The form screens of ``face``: it opens its replies' forms and hands ``plform:`` presses here."""
    return FormScreens(face)

"""Form drafts: a half-filled form, stored and bound to the member who opened it.

A face that shows a :class:`~bot.core.messages.FormSpec` over several screens (Discord:
select messages and modals of at most five inputs) keeps the progress here instead of
in process memory: the form as it was opened, the values so far, and which screen is
next. Its components carry only the draft's id, so a press after a restart finds the
draft, and every press is checked against the draft's owner (the platform user who
opened it) by :class:`~bot.core.services.form_drafts.FormDraftService`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.messages import (
    ChoiceInput,
    FormInput,
    FormPage,
    FormSpec,
    FormValues,
    Option,
    TextInput,
)
from bot.core.models import Platform


@dataclass(frozen=True)
class FormDraft:
    """A form a member is filling over several screens (Discord): what they answered so far and the
    screen they are on."""

    id: str
    platform: Platform
    #: The platform's id of the user who opened the form: the only one who may fill it.
    owner_ref: str
    form: FormSpec
    values: FormValues
    #: The face's next screen (0 = the first).
    step: int
    created_at: datetime
    expires_at: datetime


def initial_values(form: FormSpec) -> FormValues:
    """The choices' defaults (an edited form starts from what was saved)."""
    return {
        i.id: tuple(i.default) if i.multi else i.default[0]
        for i in form.inputs
        if isinstance(i, ChoiceInput) and i.default
    }


def _options(options: tuple[Option, ...]) -> list[list[Any]]:
    return [[o.label, o.value, o.description] for o in options]


def _input_to_dict(item: FormInput) -> dict[str, Any]:
    if isinstance(item, ChoiceInput):
        return {
            "kind": "choice",
            "id": item.id,
            "label": item.label,
            "options": _options(item.options),
            "required": item.required,
            "multi": item.multi,
            "default": list(item.default),
            "hint": item.hint,
        }
    return {
        "kind": "text",
        "id": item.id,
        "label": item.label,
        "required": item.required,
        "multiline": item.multiline,
        "min_length": item.min_length,
        "max_length": item.max_length,
        "placeholder": item.placeholder,
        "default": item.default,
        "hint": item.hint,
    }


def _input_from_dict(d: Mapping[str, Any]) -> FormInput:
    if d["kind"] == "choice":
        return ChoiceInput(
            id=d["id"],
            label=d["label"],
            options=tuple(Option(lbl, v, desc) for lbl, v, desc in d["options"]),
            required=d["required"],
            multi=d["multi"],
            default=tuple(d["default"]),
            hint=d["hint"],
        )
    return TextInput(
        id=d["id"],
        label=d["label"],
        required=d["required"],
        multiline=d["multiline"],
        min_length=d["min_length"],
        max_length=d["max_length"],
        placeholder=d["placeholder"],
        default=d["default"],
        hint=d["hint"],
    )


def form_to_dict(form: FormSpec) -> dict[str, Any]:
    """A JSON-able copy of the form (stored with the draft, so it renders the same after a restart)."""
    return {
        "action": form.action,
        "title": form.title,
        "submit_label": form.submit_label,
        "intro": form.intro,
        "pages": [
            {"title": p.title, "inputs": [_input_to_dict(i) for i in p.inputs]} for p in form.pages
        ],
    }


def form_from_dict(data: Mapping[str, Any]) -> FormSpec:
    """Read back a form stored as a dictionary (a draft's form)."""
    return FormSpec(
        action=data["action"],
        title=data["title"],
        submit_label=data["submit_label"],
        intro=data["intro"],
        pages=tuple(
            FormPage(p["title"], tuple(_input_from_dict(i) for i in p["inputs"]))
            for p in data["pages"]
        ),
    )


def values_to_dict(values: FormValues) -> dict[str, Any]:
    """Form values as JSON-ready data (tuples become lists)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}


def values_from_dict(data: Mapping[str, Any]) -> FormValues:
    """Form values read back from :func:`values_to_dict`'s form."""
    return {
        str(k): tuple(str(x) for x in v) if isinstance(v, list) else str(v) for k, v in data.items()
    }

"""The form that collects a command's options when a member gives none, built from its declaration.

Each declared option becomes one input: fixed choices and vocabularies become pickers (several
for a list), yes/no a two-way picker, a whole number whose range fits a picker a picker of its
numbers (else a typed input that says the range), anything else a typed input. The field's
default is preselected. Slack shows the form as one modal, Discord as screens of at most five
inputs; its answers come back under the option names and are parsed by the same
:func:`bot.core.surface.options.parse_args` as a typed command line.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import Enum

from bot.core.actions import encode
from bot.core.messages import (
    MAX_INPUT_LABEL,
    MAX_OPTIONS,
    ChoiceInput,
    FormInput,
    FormPage,
    FormSpec,
    TextInput,
)
from bot.core.messages import Option as Choice
from bot.core.surface.options import Kind, Option, options_of

#: Inputs on one form page (Discord shows at most five a screen).
PAGE_SIZE = 5


@dataclass(frozen=True)
class FormDecl:
    """How a command's form reads (its inputs come from the command's options).

    ``action``: the verb its answers are sent with. ``required``: options the form asks for
    though the command line may leave them out (``type`` of ``schedule``, whose absence opens
    the form). ``labels``: short input labels by option name (the option's help otherwise).
    """

    action: str
    title: str
    submit_label: str = "Submit"
    intro: str | None = None
    page: str = "Options"
    required: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    #: A word for whole-number pickers by option name (``days`` → "1 day", "5 days").
    units: tuple[tuple[str, str], ...] = ()
    #: Options the form leaves to the command line (``partner`` of ``schedule``: a member
    #: picker there, which a form cannot offer).
    omit: tuple[str, ...] = ()


def _shown(value: object) -> str:
    return str(value.value) if isinstance(value, Enum) else str(value)


def _number_label(n: int, unit: str | None) -> str:
    return str(n) if unit is None else f"{n} {unit}" + ("" if n == 1 else "s")


def form_input(
    option: Option, default: object, *, label: str, required: bool, unit: str | None = None
) -> FormInput | None:
    """One option as a form input (None for a file, which a form cannot collect)."""
    label = label[:MAX_INPUT_LABEL]
    preset: tuple[str, ...] = (
        ()
        if default is None
        else tuple(_shown(d) for d in (default if isinstance(default, tuple) else (default,)))
    )
    if option.kind is Kind.FILE:
        return None
    if option.choices and len(option.choices) <= MAX_OPTIONS:
        return ChoiceInput(
            option.name,
            label,
            tuple(Choice(lab, value) for lab, value in option.choices),
            required=required,
            multi=option.kind is Kind.LIST,
            default=preset,
        )
    if option.kind is Kind.LIST and option.vocabulary is not None:
        members = tuple(
            Choice(str(getattr(m, "label", m.value)), str(m.value)) for m in option.vocabulary
        )
        return ChoiceInput(
            option.name, label, members, required=required, multi=True, default=preset
        )
    if option.kind is Kind.BOOL:
        return ChoiceInput(
            option.name,
            label,
            (Choice("Yes", "yes"), Choice("No", "no")),
            required=required,
            default=() if default is None else ("yes" if default else "no",),
        )
    if (
        option.kind is Kind.INT
        and option.min is not None
        and option.max is not None
        and option.max - option.min < MAX_OPTIONS
    ):
        numbers = tuple(
            Choice(_number_label(n, unit), str(n)) for n in range(option.min, option.max + 1)
        )
        return ChoiceInput(option.name, label, numbers, required=required, default=preset)
    return TextInput(
        option.name,
        label,
        required=required,
        max_length=option.max_length or 1000,
        multiline=(option.max_length or 1000) > 200,
        default=preset[0] if preset else None,
        placeholder=option.accepted()[:150] if option.kind is not Kind.TEXT else None,
    )


def form_of(args: type, decl: FormDecl) -> FormSpec:
    """The form of a command whose arguments are ``args`` (every option, in declared order)."""
    labels, units = dict(decl.labels), dict(decl.units)
    defaults = {
        f.name: (None if f.default is dataclasses.MISSING else f.default)
        for f in dataclasses.fields(args)
    }
    inputs = [
        item
        for option in options_of(args)
        if option.name not in decl.omit
        and (
            item := form_input(
                option,
                defaults[option.name],
                label=labels.get(option.name, option.help),
                required=option.required or option.name in decl.required,
                unit=units.get(option.name),
            )
        )
        is not None
    ]
    chunks = [tuple(inputs[i : i + PAGE_SIZE]) for i in range(0, len(inputs), PAGE_SIZE)]
    pages = tuple(
        FormPage(decl.page if len(chunks) == 1 else f"{decl.page} ({n}/{len(chunks)})", chunk)
        for n, chunk in enumerate(chunks, 1)
    )
    return FormSpec(
        action=encode(decl.action),
        title=decl.title,
        pages=pages,
        submit_label=decl.submit_label,
        intro=decl.intro,
    )

"""Filling a form in the terminal: ``/form id=value …`` sets answers, ``/form submit`` sends them.

An input is named by its id or its number in the listing; a choice takes an option's value
or its label. The service validates everything on submit, as it does for every face.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from datetime import UTC, datetime

from bot.core.messages import ChoiceInput, FormSpec, FormValues, TextInput, replace_time_tokens

FORM_HELP = (
    "Fill it with /form ID=VALUE ... (an input's id or number; quote text with spaces; "
    "several choices as a,b), "
    "then /form submit. /form shows it again, /form cancel drops it."
)


def utc_times(text: str) -> str:
    """Time tokens as UTC times (the console passes the member's own zone instead)."""
    return replace_time_tokens(
        text, lambda unix, _style: f"{datetime.fromtimestamp(unix, UTC):%a %d %b %Y %H:%M} UTC"
    )


class FormFiller:
    def __init__(self, form: FormSpec, times: Callable[[str], str] = utc_times) -> None:
        self.form = form
        #: Shows a text's time tokens as readable times (never the raw token).
        self.times = times
        self.values: dict[str, str] = {}
        for item in form.inputs:
            if isinstance(item, ChoiceInput) and item.default:
                self.values[item.id] = ",".join(item.default) if item.multi else item.default[0]
            elif isinstance(item, TextInput) and item.default:
                self.values[item.id] = item.default

    def render(self) -> str:
        times = self.times
        lines = [f"📝 {times(self.form.title)}"]
        if self.form.intro:
            lines.extend(f"  {line}" for line in times(self.form.intro).splitlines())
        number = 0
        for page in self.form.pages:
            lines.append(f"  — {times(page.title)}")
            for item in page.inputs:
                number += 1
                current = self.values.get(item.id)
                mark = "" if item.required or "(optional)" in item.label else " (optional)"
                now = f" = {current!r}" if current else ""
                lines.append(f"    {number}. {item.id}: {times(item.label)}{mark}{now}")
                if isinstance(item, ChoiceInput):
                    for option in item.options:
                        desc = f" — {times(option.description)}" if option.description else ""
                        lines.append(f"         {option.value}: {times(option.label)}{desc}")
                elif item.hint:
                    lines.append(f"         ({times(item.hint)})")
        lines.append(f"  {FORM_HELP}")
        return "\n".join(lines)

    def set(self, text: str) -> list[str]:
        """Apply ``key=value`` pairs; returns problems (the valid pairs are kept)."""
        try:
            tokens = shlex.split(text)
        except ValueError:
            return ["A quote is not closed."]
        inputs = self.form.inputs
        problems: list[str] = []
        for token in tokens:
            key, sep, value = token.partition("=")
            if not sep:
                problems.append(f"“{token}” is not ID=VALUE.")
                continue
            item = next((i for i in inputs if i.id == key), None)
            if item is None and key.isascii() and key.isdigit() and 1 <= int(key) <= len(inputs):
                item = inputs[int(key) - 1]
            if item is None:
                problems.append(f"No input “{key}”; use an id or a number from 1 to {len(inputs)}.")
                continue
            if isinstance(item, ChoiceInput):
                picked = (
                    [p.strip() for p in value.split(",") if p.strip()] if item.multi else [value]
                )
                matches = [
                    next(
                        (
                            o.value
                            for o in item.options
                            if v in (o.value,) or v.lower() == o.label.lower()
                        ),
                        None,
                    )
                    for v in picked
                ]
                if None in matches:
                    problems.append(
                        f"{item.id}: choose "
                        + ("any of " if item.multi else "one of ")
                        + ", ".join(o.value for o in item.options)
                        + "."
                    )
                    continue
                value = ",".join(m for m in matches if m)
            self.values[item.id] = value
        return problems

    def submission(self) -> FormValues:
        """The answers; a choice of several (``types=coding,behavioral``) as a tuple."""
        multi = {i.id for i in self.form.inputs if isinstance(i, ChoiceInput) and i.multi}
        return {
            k: tuple(p for p in v.split(",") if p) if k in multi else v
            for k, v in self.values.items()
        }

"""Text forms of typed values that no vocabulary spells: parsed here, once, for the declarations."""

from __future__ import annotations

from bot.core.errors import InvalidInput
from bot.core.messages import quote
from bot.core.services.admin import MAX_REMINDERS, REMINDER_RANGE
from bot.core.surface.options import NONE_WORDS


def parse_reminders(value: str) -> tuple[int, ...]:
    """``1440, 60, 10`` or ``24h, 1h, 10m`` → (1440, 60, 10); ``none`` → ()."""
    value = value.strip()
    if value.lower() in NONE_WORDS or not value:
        return ()
    accepted = (
        f"up to {MAX_REMINDERS} times before the start, each {REMINDER_RANGE[0]} minutes to 7 days: "
        "minutes (60), hours (1h) or days (1d), comma-separated; or none"
    )
    out: set[int] = set()
    for part in (p.strip().lower() for p in value.split(",")):
        if not part:
            continue
        unit = {"m": 1, "h": 60, "d": 1440}.get(part[-1], 0)
        digits = part[:-1].strip() if unit else part
        if not (
            digits.isascii() and digits.isdigit()
        ):  # ``int`` refuses ``²``, which isdigit takes
            raise InvalidInput(
                "reminders", f"“{quote(part)}” is not a time before the start.", accepted=accepted
            )
        minutes = int(digits) * (unit or 1) if len(digits) <= 9 else REMINDER_RANGE[1] + 1
        if not REMINDER_RANGE[0] <= minutes <= REMINDER_RANGE[1]:
            raise InvalidInput("reminders", f"“{quote(part)}” is out of range.", accepted=accepted)
        out.add(minutes)
    if len(out) > MAX_REMINDERS:
        raise InvalidInput("reminders", f"{len(out)} reminders are too many.", accepted=accepted)
    return tuple(sorted(out, reverse=True))

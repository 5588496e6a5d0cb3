"""Where a member probably lives, from what their platform says: the time zones the profile
form offers first. Slack gives a zone name (``users.info``'s ``tz``); Discord only the member's
client locale, read through :data:`LOCALE_ZONES`. Mostly data."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.availability import validate_timezone
from bot.core.errors import InvalidInput

#: A select holds 25 options: the likely zones take at most this many, "Another zone" the last.
MAX_LIKELY_ZONES = 24

#: Zones people with a given client language most often live in (Discord sends the member's
#: locale, never a zone). Keys are Discord's locale codes; a language alone (``de``) also works.
LOCALE_ZONES: dict[str, tuple[str, ...]] = {
    "en-US": (
        "America/New_York",
        "America/Chicago",
        "America/Denver",
        "America/Los_Angeles",
        "America/Toronto",
        "America/Vancouver",
    ),
    "en-GB": ("Europe/London", "Europe/Dublin"),
    "en": (
        "Europe/London",
        "America/New_York",
        "America/Los_Angeles",
        "Asia/Kolkata",
        "Australia/Sydney",
    ),
    "de": ("Europe/Berlin", "Europe/Vienna", "Europe/Zurich"),
    "fr": ("Europe/Paris", "Europe/Brussels", "America/Montreal"),
    "es-ES": ("Europe/Madrid",),
    "es-419": (
        "America/Mexico_City",
        "America/Bogota",
        "America/Argentina/Buenos_Aires",
        "America/Santiago",
        "America/Lima",
    ),
    "es": ("Europe/Madrid", "America/Mexico_City", "America/Argentina/Buenos_Aires"),
    "pt-BR": ("America/Sao_Paulo",),
    "pt": ("Europe/Lisbon", "America/Sao_Paulo"),
    "it": ("Europe/Rome",),
    "nl": ("Europe/Amsterdam", "Europe/Brussels"),
    "pl": ("Europe/Warsaw",),
    "sv-SE": ("Europe/Stockholm",),
    "da": ("Europe/Copenhagen",),
    "no": ("Europe/Oslo",),
    "fi": ("Europe/Helsinki",),
    "cs": ("Europe/Prague",),
    "hu": ("Europe/Budapest",),
    "ro": ("Europe/Bucharest",),
    "bg": ("Europe/Sofia",),
    "el": ("Europe/Athens",),
    "uk": ("Europe/Kyiv",),
    "ru": ("Europe/Moscow", "Asia/Yekaterinburg", "Asia/Novosibirsk"),
    "tr": ("Europe/Istanbul",),
    "hi": ("Asia/Kolkata",),
    "th": ("Asia/Bangkok",),
    "vi": ("Asia/Ho_Chi_Minh",),
    "id": ("Asia/Jakarta",),
    "ja": ("Asia/Tokyo",),
    "ko": ("Asia/Seoul",),
    "zh-CN": ("Asia/Shanghai",),
    "zh-TW": ("Asia/Taipei",),
    "he": ("Asia/Jerusalem",),
    "ar": ("Asia/Dubai", "Asia/Riyadh", "Africa/Cairo"),
}
#: Offered to everyone after their likely zones, so most members find theirs without typing.
WIDE_ZONES = (
    "UTC",
    "Europe/London",
    "Europe/Berlin",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Australia/Sydney",
)


def likely_zones(hints: Sequence[str]) -> tuple[str, ...]:
    """Zone names to offer first: each hint that is a zone name as it is (Slack's ``tz``),
    each locale (``en-US``, ``de``) as its usual zones, then a few zones wide apart; each once,
    at most :data:`MAX_LIKELY_ZONES`."""
    zones: list[str] = []
    for hint in hints:
        if not hint:
            continue
        found: Sequence[str] = LOCALE_ZONES.get(hint) or LOCALE_ZONES.get(hint.split("-")[0], ())
        if not found:
            try:
                found = (validate_timezone(hint).key,)
            except InvalidInput:
                found = ()
        zones.extend(found)
    zones.extend(WIDE_ZONES)
    return tuple(dict.fromkeys(zones))[:MAX_LIKELY_ZONES]

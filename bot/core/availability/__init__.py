"""Weekly availability, blackout dates and time zones, as members write them.

One module per concern; this package re-exports the public names, so callers write
``from bot.core.availability import parse_weekly``:

- :mod:`.weekly`: the weekly model (:class:`Window`, :class:`WeeklyAvailability`) and its
  normal form (:func:`format_weekly`);
- :mod:`.weekly_text`: the text parser (:func:`parse_weekly`; its docstring has the reading rules);
- :mod:`.words`: the day names and times of day both parsers read;
- :mod:`.blackouts`: blackout dates (:func:`parse_blackouts`, :func:`format_blackouts`);
- :mod:`.slots`: slot expansion across time zones and daylight saving (:func:`candidate_starts`);
- :mod:`.zones`: the time-zone catalogue (:func:`validate_timezone`, :func:`common_timezones`);
- :mod:`.moments`: one moment in a member's zone (:func:`parse_local_datetime`).
"""

from bot.core.availability.blackouts import (
    BLACKOUTS_ACCEPTED,
    MAX_BLACKOUT_DAYS,
    format_blackouts,
    parse_blackouts,
)
from bot.core.availability.moments import DATETIME_ACCEPTED, parse_local_datetime
from bot.core.availability.slots import candidate_starts
from bot.core.availability.weekly import (
    MAX_WINDOWS,
    MIN_WINDOW_MINUTES,
    WeeklyAvailability,
    Window,
    format_weekly,
)
from bot.core.availability.weekly_text import AVAILABILITY_ACCEPTED, MAX_TEXT_LENGTH, parse_weekly
from bot.core.availability.zones import TIMEZONE_ACCEPTED, common_timezones, validate_timezone

__all__ = [
    "AVAILABILITY_ACCEPTED",
    "BLACKOUTS_ACCEPTED",
    "DATETIME_ACCEPTED",
    "MAX_BLACKOUT_DAYS",
    "MAX_TEXT_LENGTH",
    "MAX_WINDOWS",
    "MIN_WINDOW_MINUTES",
    "TIMEZONE_ACCEPTED",
    "WeeklyAvailability",
    "Window",
    "candidate_starts",
    "common_timezones",
    "format_blackouts",
    "format_weekly",
    "parse_blackouts",
    "parse_local_datetime",
    "parse_weekly",
    "validate_timezone",
]

"""Calendar invites (.ics): a stable UID per session, SEQUENCE raised on reschedule,
METHOD:CANCEL when cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event

PRODID = "-//PeerLoop//Mock interviews//EN"


def session_invite(
    *,
    session_id: str,
    summary: str,
    description: str,
    start: datetime,
    minutes: int,
    sequence: int,
    stamp: datetime,
    cancelled: bool = False,
    location: str | None = None,
) -> bytes:
    """A calendar invite (iCalendar bytes) for a session; every version of a session shares its
    UID, with ``sequence`` raised, and a cancellation is ``METHOD:CANCEL``. ``location`` (the
    session's call link) is its LOCATION and URL."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"session-{session_id}@peerloop")
    event.add("summary", summary)
    event.add("description", description)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if location:
        event.add("location", location)
        event.add("url", location)
    cal.add_component(event)
    return bytes(cal.to_ical())

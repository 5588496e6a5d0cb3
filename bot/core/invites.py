"""Calendar invites (.ics): a stable UID per session, SEQUENCE raised on reschedule,
METHOD:CANCEL when cancelled.

A queued message carries its invite as a :class:`PictureRef` of kind :data:`CALENDAR`
(:func:`invite_ref`: the invite's fields as JSON, a few hundred bytes), and the delivery
worker writes the file as it sends the message (:func:`invite_attachment`): a round that books
thousands of sessions does not write thousands of calendar files it stores in the outbox.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from bot.core.messages import Attachment, PictureRef

PRODID = "-//PeerLoop//Mock interviews//EN"
#: The :class:`PictureRef` kind of a calendar invite written at delivery.
CALENDAR = "calendar"


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


def invite_ref(
    *,
    filename: str,
    label: str,
    session_id: str,
    summary: str,
    description: str,
    start: datetime,
    minutes: int,
    sequence: int,
    stamp: datetime,
    cancelled: bool = False,
    location: str | None = None,
) -> PictureRef:
    """The invite :func:`session_invite` would write, as a reference the outbox stores and the
    delivery worker turns into the file ``filename`` (shown as ``label``)."""
    fields = {
        "filename": filename,
        "label": label,
        "session_id": session_id,
        "summary": summary,
        "description": description,
        "start": start.isoformat(),
        "minutes": minutes,
        "sequence": sequence,
        "stamp": stamp.isoformat(),
        "cancelled": cancelled,
        "location": location,
    }
    return PictureRef(CALENDAR, json.dumps(fields, separators=(",", ":")))


def invite_attachment(ref: PictureRef) -> Attachment:
    """The calendar file of a :func:`invite_ref` reference."""
    fields = json.loads(ref.data)
    data = session_invite(
        session_id=str(fields["session_id"]),
        summary=str(fields["summary"]),
        description=str(fields["description"]),
        start=datetime.fromisoformat(fields["start"]),
        minutes=int(fields["minutes"]),
        sequence=int(fields["sequence"]),
        stamp=datetime.fromisoformat(fields["stamp"]),
        cancelled=bool(fields["cancelled"]),
        location=fields["location"],
    )
    return Attachment(str(fields["filename"]), data, "text/calendar", str(fields["label"]))

"""Calendar invites (.ics): a stable UID per session, SEQUENCE raised on reschedule,
METHOD:CANCEL when cancelled.

A queued message carries its invite as a :class:`PictureRef` of kind :data:`CALENDAR`
(:func:`invite_ref`: the invite's fields as JSON, a few hundred bytes), and the delivery
worker writes the file as it sends the message (:func:`invite_attachment`): a round that books
thousands of sessions does not write thousands of calendar files it stores in the outbox.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from bot.core.messages import Attachment, PictureRef

PRODID = "-//PeerLoop//Mock interviews//EN"
#: The :class:`PictureRef` kind of a calendar invite written at delivery.
CALENDAR = "calendar"


@dataclass(frozen=True)
class Invite:
    """What a session's calendar invite says: every version of a session shares its UID (from
    ``session_id``), with ``sequence`` raised, and a cancellation is ``METHOD:CANCEL``.
    ``location`` (the session's call link) is its LOCATION and URL."""

    session_id: str
    summary: str
    description: str
    start: datetime
    minutes: int
    sequence: int
    stamp: datetime
    cancelled: bool = False
    location: str | None = None


def session_invite(invite: Invite) -> bytes:
    """The invite as iCalendar bytes."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if invite.cancelled else "PUBLISH")
    event = Event()
    event.add("uid", f"session-{invite.session_id}@peerloop")
    event.add("summary", invite.summary)
    event.add("description", invite.description)
    event.add("dtstart", invite.start)
    event.add("dtend", invite.start + timedelta(minutes=invite.minutes))
    event.add("dtstamp", invite.stamp)
    event.add("sequence", invite.sequence)
    event.add("status", "CANCELLED" if invite.cancelled else "CONFIRMED")
    if invite.location:
        event.add("location", invite.location)
        event.add("url", invite.location)
    cal.add_component(event)
    return bytes(cal.to_ical())


def invite_ref(invite: Invite, *, filename: str, label: str) -> PictureRef:
    """``invite`` as a reference the outbox stores and the delivery worker turns into the file
    ``filename`` (shown as ``label``)."""
    fields = {
        **asdict(invite),
        "start": invite.start.isoformat(),
        "stamp": invite.stamp.isoformat(),
        "filename": filename,
        "label": label,
    }
    return PictureRef(CALENDAR, json.dumps(fields, separators=(",", ":")))


def invite_attachment(ref: PictureRef) -> Attachment:
    """The calendar file of an :func:`invite_ref` reference."""
    fields = json.loads(ref.data)
    filename, label = str(fields.pop("filename")), str(fields.pop("label"))
    fields["start"] = datetime.fromisoformat(fields["start"])
    fields["stamp"] = datetime.fromisoformat(fields["stamp"])
    return Attachment(filename, session_invite(Invite(**fields)), "text/calendar", label)

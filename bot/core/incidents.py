"""The one error boundary's shared parts: an incident id, one log line, one private reply.

Every face (and the command router) wraps each interaction so that an unexpected
exception never leaves a member without an answer: it is logged once with an incident
id, and the member privately reads "Something went wrong (incident …). Nothing was
changed." The log line names the exception type and where it was raised, never its
message, since exception messages may quote what a member typed.
"""

from __future__ import annotations

import logging
import secrets
import traceback

from bot.core.messages import OutboundMessage, Tone


def new_incident_id() -> str:
    """A short id a member can quote to an admin and an admin can find in the logs."""
    return secrets.token_hex(4)


def incident_text(incident: str) -> str:
    """What the member reads when something went wrong: the incident id and that nothing was
    changed."""
    return (
        f"Something went wrong (incident {incident}). Nothing was changed. "
        "Try again in a minute; if it keeps happening, tell an admin the incident id."
    )


def incident_message(incident: str) -> OutboundMessage:
    """The private reply for an unexpected failure."""
    return OutboundMessage(text=incident_text(incident), tone=Tone.ERROR, ephemeral=True)


def report_incident(logger: logging.Logger, exc: BaseException, where: str) -> str:
    """Log ``exc`` once (type and stack frames, never its message) and return the incident id."""
    incident = new_incident_id()
    frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
    logger.error(
        "incident %s in %s: %s\n%s", incident, where, type(exc).__qualname__, frames.rstrip()
    )
    return incident

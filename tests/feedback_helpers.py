"""Helpers for feedback tests: a finished session between two members, stored directly."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import App
from bot.core.messages import ChoiceInput, FormSpec, FormValues
from bot.core.models import Session, SessionState
from bot.core.services.actor import Actor, new_id
from bot.core.vocab import InterviewType


async def finished_session(
    app: App,
    interviewer: Actor,
    candidate: Actor,
    *,
    start: datetime,
    swap: bool = True,
    kind: InterviewType = InterviewType.CODING,
    state: SessionState = SessionState.COMPLETED,
) -> Session:
    prompts = app.prompts.prompts(type=kind)
    session = Session(
        id=new_id(),
        community_id=interviewer.community.id,
        interview_type=kind,
        interviewer_id=interviewer.member.id,
        candidate_id=candidate.member.id,
        swap=swap,
        start=start,
        minutes=60,
        state=state,
        prompt_ids=(prompts[0].id, prompts[1].id) if swap else (prompts[0].id,),
        created_at=start - timedelta(days=1),
    )
    async with app.db.uow() as tx:
        await tx.sessions.add(session)
    return session


def fill(form: FormSpec, **overrides: str) -> FormValues:
    """Every choice answered (3 on a 1-4 scale), every required text filled, then ``overrides``."""
    values: FormValues = {}
    for item in form.inputs:
        if isinstance(item, ChoiceInput):
            values[item.id] = "3" if item.options[0].value == "1" else item.options[-2].value
        elif item.required:
            values[item.id] = "A clear, concrete example of what went well."
    values.update(overrides)
    return values

"""Storage side of ``/mock export`` and ``/mock forget-me`` (the core's ``PrivacyRepo`` port).

Every method works inside the caller's transaction, so an erasure either happens whole
or, when anything fails, not at all.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Text, cast, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.models import ActionKind, ActionStatus, NoShowReport, RoundRecord, ScheduledAction
from bot.core.services.outbox import session_space
from bot.storage.action_repo import action_from_row
from bot.storage.feedback_tables import FeedbackRow
from bot.storage.tables import (
    MatchRoundRow,
    MemberRow,
    NoShowRow,
    OutboxRow,
    RequestRow,
    ScheduledActionRow,
    SessionRow,
)


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0))


def _round(r: MatchRoundRow) -> RoundRecord:
    return RoundRecord(
        id=r.id,
        community_id=r.community_id,
        ran_at=r.ran_at,
        considered=tuple(r.considered),
        paired=tuple((p[0], p[1], p[2]) for p in r.paired),
        left_out=tuple((x[0], x[1], x[2]) for x in r.left_out),
    )


#: Attachment types whose bytes are text a name can be replaced in; other attachments of a
#: scrubbed message (images) are dropped, since what they show cannot be checked.
_TEXT_MIMES = ("text/", "application/json")


def _replace_all(text: str, replacements: Mapping[str, str]) -> str:
    """Each key replaced where it stands as a whole word (a forgotten "Al" leaves "Also" alone)."""
    keys = sorted((k for k in replacements if k), key=len, reverse=True)
    if not keys:
        return text
    pattern = r"(?<!\w)(?:" + "|".join(re.escape(k) for k in keys) + r")(?!\w)"
    return re.sub(pattern, lambda m: replacements[m.group(0)], text)


def _scrub(value: Any, replacements: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return _replace_all(value, replacements)
    if isinstance(value, list):
        return [_scrub(v, replacements) for v in value]
    if isinstance(value, dict):
        return {
            k: (
                _scrub_attachments(v, replacements)
                if k == "attachments"
                else _scrub(v, replacements)
            )
            for k, v in value.items()
        }
    return value


def _scrub_attachments(
    attachments: list[list[str]], replacements: Mapping[str, str]
) -> list[list[str]]:
    kept = []
    for name, b64, mime, description in attachments:
        if not mime.startswith(_TEXT_MIMES):
            continue
        # Unfold calendar lines first, so a name split over a folded line is found too.
        text = base64.b64decode(b64).decode("utf-8", "replace").replace("\r\n ", "")
        data = base64.b64encode(_replace_all(text, replacements).encode()).decode("ascii")
        kept.append(
            [_replace_all(name, replacements), data, mime, _scrub(description, replacements)]
        )
    return kept


def _mentions(r: MatchRoundRow, member_id: str) -> bool:
    return (
        member_id in r.considered
        or any(member_id in p[:2] for p in r.paired)
        or any(x[0] == member_id for x in r.left_out)
    )


class SqlPrivacyRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def _count(self, stmt: Any) -> int:
        return int((await self._s.execute(stmt)).scalar_one())

    async def lock_member(self, member_id: str) -> bool:
        if self._s.get_bind().dialect.name == "postgresql":
            found = await self._s.execute(
                select(col(MemberRow.id)).where(col(MemberRow.id) == member_id).with_for_update()
            )
            return found.scalar_one_or_none() is not None
        # SQLite: a write takes the database's write lock for the rest of the transaction.
        result = await self._s.execute(
            update(MemberRow)
            .where(col(MemberRow.id) == member_id)
            .values(display_name=MemberRow.display_name)
        )
        return _rowcount(result) > 0

    async def no_shows_involving(self, member_id: str) -> list[NoShowReport]:
        result = await self._s.execute(
            select(NoShowRow)
            .where(
                or_(col(NoShowRow.reporter_id) == member_id, col(NoShowRow.absent_id) == member_id)
            )
            .order_by(col(NoShowRow.reported_at))
        )
        return [
            NoShowReport(r.session_id, r.reporter_id, r.absent_id, r.reported_at, r.cleared)
            for r in result.scalars()
        ]

    async def _rounds(self, community_id: str) -> list[MatchRoundRow]:
        result = await self._s.execute(
            select(MatchRoundRow)
            .where(col(MatchRoundRow.community_id) == community_id)
            .order_by(col(MatchRoundRow.ran_at))
        )
        return list(result.scalars())

    async def rounds_mentioning(self, community_id: str, member_id: str) -> list[RoundRecord]:
        return [_round(r) for r in await self._rounds(community_id) if _mentions(r, member_id)]

    async def _pending_actions_for(self, member_id: str, request_ids: Sequence[str]) -> list[str]:
        result = await self._s.execute(
            select(ScheduledActionRow).where(
                col(ScheduledActionRow.status) == "pending",
                col(ScheduledActionRow.session_id).is_(None),
            )
        )
        wanted = set(request_ids)
        return [
            row.id
            for row in result.scalars()
            if row.payload.get("member_id") == member_id or row.payload.get("request_id") in wanted
        ]

    async def count_rows(self, community_id: str, member_id: str) -> dict[str, int]:
        request_ids = list(
            (
                await self._s.execute(
                    select(col(RequestRow.id)).where(col(RequestRow.member_id) == member_id)
                )
            ).scalars()
        )
        return {
            "members": await self._count(
                select(func.count()).select_from(MemberRow).where(col(MemberRow.id) == member_id)
            ),
            "interview_requests": len(request_ids),
            "sessions": await self._count(
                select(func.count())
                .select_from(SessionRow)
                .where(
                    or_(
                        col(SessionRow.interviewer_id) == member_id,
                        col(SessionRow.candidate_id) == member_id,
                    )
                )
            ),
            "feedback": await self._count(
                select(func.count())
                .select_from(FeedbackRow)
                .where(
                    or_(
                        col(FeedbackRow.author_id) == member_id,
                        col(FeedbackRow.subject_id) == member_id,
                    )
                )
            ),
            "no_show_reports": await self._count(
                select(func.count())
                .select_from(NoShowRow)
                .where(
                    or_(
                        col(NoShowRow.reporter_id) == member_id,
                        col(NoShowRow.absent_id) == member_id,
                    )
                )
            ),
            "outbox": await self._count(
                select(func.count())
                .select_from(OutboxRow)
                .where(col(OutboxRow.member_id) == member_id)
            ),
            "scheduled_actions": len(await self._pending_actions_for(member_id, request_ids)),
            "match_rounds": sum(
                1 for r in await self._rounds(community_id) if _mentions(r, member_id)
            ),
        }

    async def delete_sessions(self, session_ids: Sequence[str]) -> int:
        if not session_ids:
            return 0
        # Their steps, feedback and no-show reports go with them (ON DELETE CASCADE).
        result = await self._s.execute(
            delete(SessionRow).where(col(SessionRow.id).in_(list(session_ids)))
        )
        return _rowcount(result)

    async def reassign_sessions(
        self,
        session_ids: Sequence[str],
        member_id: str,
        placeholder_id: str,
        drop_request_ids: Sequence[str],
    ) -> int:
        if not session_ids:
            return 0
        dropped = set(drop_request_ids)
        result = await self._s.execute(
            select(SessionRow).where(col(SessionRow.id).in_(list(session_ids)))
        )
        count = 0
        for row in result.scalars():
            if row.interviewer_id == member_id:
                row.interviewer_id = placeholder_id
            if row.candidate_id == member_id:
                row.candidate_id = placeholder_id
            row.confirmed_by = [m for m in row.confirmed_by if m != member_id]
            row.here_by = [m for m in row.here_by if m != member_id]
            row.done_by = [m for m in row.done_by if m != member_id]
            row.request_ids = [r for r in row.request_ids if r not in dropped]
            count += 1
        await self._s.flush()
        return count

    async def anonymise_feedback_subject(
        self, feedback_ids: Sequence[str], placeholder_id: str
    ) -> int:
        if not feedback_ids:
            return 0
        result = await self._s.execute(
            update(FeedbackRow)
            .where(col(FeedbackRow.id).in_(list(feedback_ids)))
            .values(subject_id=placeholder_id, interviewer_ratings={}, improvements="")
        )
        return _rowcount(result)

    async def delete_feedback(self, feedback_ids: Sequence[str]) -> int:
        if not feedback_ids:
            return 0
        result = await self._s.execute(
            delete(FeedbackRow).where(col(FeedbackRow.id).in_(list(feedback_ids)))
        )
        return _rowcount(result)

    async def delete_no_shows(self, member_id: str) -> int:
        result = await self._s.execute(
            delete(NoShowRow).where(
                or_(col(NoShowRow.reporter_id) == member_id, col(NoShowRow.absent_id) == member_id)
            )
        )
        return _rowcount(result)

    async def delete_requests(self, member_id: str) -> int:
        result = await self._s.execute(
            delete(RequestRow).where(col(RequestRow.member_id) == member_id)
        )
        return _rowcount(result)

    async def delete_pending_actions(self, member_id: str, request_ids: Sequence[str]) -> int:
        ids = await self._pending_actions_for(member_id, request_ids)
        if not ids:
            return 0
        await self._s.execute(delete(ScheduledActionRow).where(col(ScheduledActionRow.id).in_(ids)))
        return len(ids)

    async def delete_outbox_for(self, member_id: str) -> int:
        result = await self._s.execute(
            delete(OutboxRow).where(col(OutboxRow.member_id) == member_id)
        )
        return _rowcount(result)

    async def delete_pending_session_posts(self, session_ids: Sequence[str]) -> int:
        if not session_ids:
            return 0
        refs = [session_space(sid) for sid in session_ids]
        result = await self._s.execute(
            delete(OutboxRow).where(
                col(OutboxRow.status) == "pending", col(OutboxRow.space_ref).in_(refs)
            )
        )
        return _rowcount(result)

    async def pending_room_steps(self, session_ids: Sequence[str]) -> list[ScheduledAction]:
        if not session_ids:
            return []
        kinds = (ActionKind.VOICE_OPEN, ActionKind.VOICE_CLOSE, ActionKind.SESSION_EVENT)
        result = await self._s.execute(
            select(ScheduledActionRow)
            .where(
                col(ScheduledActionRow.session_id).in_(list(session_ids)),
                col(ScheduledActionRow.status) == ActionStatus.PENDING.value,
                col(ScheduledActionRow.kind).in_([k.value for k in kinds]),
            )
            .order_by(col(ScheduledActionRow.due_at))
        )
        return [action_from_row(r) for r in result.scalars()]

    async def scrub_rounds(self, community_id: str, member_id: str, replacement: str) -> int:
        count = 0
        for row in await self._rounds(community_id):
            if not _mentions(row, member_id):
                continue
            row.considered = [replacement if m == member_id else m for m in row.considered]
            row.paired = [
                [replacement if m == member_id else m for m in p[:2]] + list(p[2:])
                for p in row.paired
            ]
            row.left_out = [
                [replacement, *x[1:]] if x[0] == member_id else list(x) for x in row.left_out
            ]
            count += 1
        await self._s.flush()
        return count

    async def scrub_outbox(
        self, community_id: str, session_ids: Sequence[str], replacements: Mapping[str, str]
    ) -> int:
        """Rewrite stored messages (sent ones included) of these sessions, and any other message of
        the community that holds one of ``replacements``' keys, with each key replaced (attachments
        too); the number of rows changed."""
        needles = [n for n in replacements if n]
        if not needles:
            return 0
        as_text = cast(OutboxRow.message, Text)
        wanted = []
        for needle in needles:
            for form in {needle, json.dumps(needle)[1:-1]}:  # as written, and as JSON escapes it
                wanted += [
                    as_text.contains(form, autoescape=True),
                    col(OutboxRow.last_error).contains(form, autoescape=True),
                ]
        if session_ids:
            wanted.append(col(OutboxRow.space_ref).in_([session_space(sid) for sid in session_ids]))
            wanted += [col(OutboxRow.key).contains(sid, autoescape=True) for sid in session_ids]
        result = await self._s.execute(
            select(OutboxRow).where(col(OutboxRow.community_id) == community_id, or_(*wanted))
        )
        count = 0
        for row in result.scalars():
            message = _scrub(row.message, replacements)
            error = _replace_all(row.last_error, replacements) if row.last_error else row.last_error
            if message != row.message or error != row.last_error:
                row.message, row.last_error = message, error
                count += 1
        await self._s.flush()
        return count

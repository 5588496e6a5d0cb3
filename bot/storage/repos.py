"""Repositories: core models in, core models out; rows stay inside storage."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.availability import WeeklyAvailability
from bot.core.errors import Conflict
from bot.core.models import (
    ActionKind,
    ActionStatus,
    Community,
    CommunitySettings,
    InterviewRequest,
    Member,
    NoShowReport,
    OutboxItem,
    OutboxStatus,
    PairingHistory,
    Platform,
    PromptHistory,
    RequestStatus,
    RoundRecord,
    ScheduledAction,
    Session,
    SessionState,
)
from bot.core.ports import PairSpace, PairSpaceState
from bot.core.vocab import InterviewType, Level, RolePreference
from bot.storage.tables import (
    CommunityRow,
    MatchRoundRow,
    MemberRow,
    NoShowRow,
    OutboxRow,
    RequestRow,
    ScheduledActionRow,
    SessionRow,
)


def _community(row: CommunityRow) -> Community:
    return Community(
        id=row.id,
        platform=Platform(row.platform),
        external_id=row.external_id,
        name=row.name,
        settings=CommunitySettings.from_json(row.settings),
    )


def _community_values(community: Community) -> dict[str, object]:
    return {
        "id": community.id,
        "platform": community.platform.value,
        "external_id": community.external_id,
        "name": community.name,
        "settings": community.settings.to_json(),
    }


def member_from_row(row: MemberRow) -> Member:
    return Member(
        id=row.id,
        community_id=row.community_id,
        platform=Platform(row.platform),
        external_id=row.external_id,
        display_name=row.display_name,
        timezone=row.timezone,
        track=row.track,
        level=Level(row.level) if row.level else None,
        interview_types=tuple(InterviewType(t) for t in row.interview_types),
        languages=tuple(row.languages),
        availability=WeeklyAvailability.from_json(row.availability) if row.availability else None,
        blackouts=tuple(date.fromisoformat(d) for d in row.blackouts),
        blocked=tuple(row.blocked),
        digest_opt_out=row.digest_opt_out,
        digest_nudge=row.digest_nudge,
        is_admin=row.is_admin,
        created_at=row.created_at,
    )


def _member_values(member: Member) -> dict[str, object]:
    return {
        "id": member.id,
        "community_id": member.community_id,
        "platform": member.platform.value,
        "external_id": member.external_id,
        "display_name": member.display_name,
        "timezone": member.timezone,
        "track": member.track,
        "level": member.level.value if member.level else None,
        "interview_types": [t.value for t in member.interview_types],
        "languages": list(member.languages),
        "availability": member.availability.to_json() if member.availability else None,
        "blackouts": [d.isoformat() for d in member.blackouts],
        "blocked": list(member.blocked),
        "digest_opt_out": member.digest_opt_out,
        "digest_nudge": member.digest_nudge,
        "is_admin": member.is_admin,
        "created_at": member.created_at,
    }


def request_from_row(row: RequestRow) -> InterviewRequest:
    return InterviewRequest(
        id=row.id,
        community_id=row.community_id,
        member_id=row.member_id,
        interview_type=InterviewType(row.interview_type),
        role=RolePreference(row.role),
        window_start=row.window_start,
        window_end=row.window_end,
        created_at=row.created_at,
        status=RequestStatus(row.status),
        live=row.live,
        times_left_out=row.times_left_out,
        last_left_out_reason=row.last_left_out_reason,
        priority=row.priority,
        session_id=row.session_id,
    )


def _request_values(req: InterviewRequest) -> dict[str, object]:
    return {
        "id": req.id,
        "community_id": req.community_id,
        "member_id": req.member_id,
        "interview_type": req.interview_type.value,
        "role": req.role.value,
        "window_start": req.window_start,
        "window_end": req.window_end,
        "created_at": req.created_at,
        "status": req.status.value,
        "live": req.live,
        "times_left_out": req.times_left_out,
        "last_left_out_reason": req.last_left_out_reason,
        "priority": req.priority,
        "session_id": req.session_id,
    }


class SqlCommunityRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, community_id: str) -> Community | None:
        row = await self._s.get(CommunityRow, community_id)
        return _community(row) if row else None

    async def find(self, platform: Platform, external_id: str) -> Community | None:
        result = await self._s.execute(
            select(CommunityRow).where(
                CommunityRow.platform == platform.value, CommunityRow.external_id == external_id
            )
        )
        row = result.scalar_one_or_none()
        return _community(row) if row else None

    async def add(self, community: Community) -> None:
        self._s.add(CommunityRow(**_community_values(community)))
        await self._s.flush()

    async def add_or_get(self, community: Community) -> Community:
        """Insert unless the platform's community exists (one statement, safe against a
        simultaneous first contact); the stored community either way."""
        stmt = _insert_ignore(self._s, CommunityRow.__table__, _community_values(community),  # type: ignore[attr-defined]
                              ("platform", "external_id"))
        await self._s.execute(stmt)  # type: ignore[call-overload]
        found = await self.find(community.platform, community.external_id)
        assert found is not None
        return found

    async def save_settings(self, community_id: str, settings: CommunitySettings) -> None:
        row = await self._s.get(CommunityRow, community_id)
        if row is not None:
            row.settings = settings.to_json()
            await self._s.flush()

    async def list(self) -> list[Community]:
        result = await self._s.execute(select(CommunityRow).order_by(CommunityRow.name))
        return [_community(r) for r in result.scalars()]


class SqlMemberRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, member_id: str) -> Member | None:
        row = await self._s.get(MemberRow, member_id)
        return member_from_row(row) if row else None

    async def get_many(self, member_ids: Sequence[str]) -> dict[str, Member]:
        if not member_ids:
            return {}
        result = await self._s.execute(select(MemberRow).where(MemberRow.id.in_(list(member_ids))))  # type: ignore[attr-defined]
        return {row.id: member_from_row(row) for row in result.scalars()}

    async def find(self, community_id: str, external_id: str) -> Member | None:
        result = await self._s.execute(
            select(MemberRow).where(
                MemberRow.community_id == community_id, MemberRow.external_id == external_id
            )
        )
        row = result.scalar_one_or_none()
        return member_from_row(row) if row else None

    async def find_by_name(self, community_id: str, display_name: str) -> Member | None:
        result = await self._s.execute(
            select(MemberRow).where(
                MemberRow.community_id == community_id, MemberRow.display_name == display_name
            )
        )
        row = result.scalars().first()
        return member_from_row(row) if row else None

    async def add(self, member: Member) -> None:
        self._s.add(MemberRow(**_member_values(member)))
        await self._s.flush()

    async def add_or_get(self, member: Member) -> Member:
        """Insert unless the community's member with that platform id exists (one statement,
        safe against a simultaneous first contact); the stored member either way."""
        stmt = _insert_ignore(self._s, MemberRow.__table__, _member_values(member),  # type: ignore[attr-defined]
                              ("community_id", "external_id"))
        await self._s.execute(stmt)  # type: ignore[call-overload]
        found = await self.find(member.community_id, member.external_id)
        assert found is not None
        return found

    async def save(self, member: Member) -> None:
        row = await self._s.get(MemberRow, member.id)
        if row is None:
            await self.add(member)
            return
        for key, value in _member_values(member).items():
            setattr(row, key, value)
        await self._s.flush()

    async def list(self, community_id: str) -> list[Member]:
        result = await self._s.execute(
            select(MemberRow).where(MemberRow.community_id == community_id).order_by(MemberRow.display_name)
        )
        return [member_from_row(r) for r in result.scalars()]

    async def delete(self, member_id: str) -> None:
        row = await self._s.get(MemberRow, member_id)
        if row is not None:
            await self._s.delete(row)
            await self._s.flush()


class SqlRequestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, request_id: str, *, for_update: bool = False) -> InterviewRequest | None:
        if not for_update:
            row = await self._s.get(RequestRow, request_id)
            return request_from_row(row) if row else None
        stmt = select(RequestRow).where(RequestRow.id == request_id)
        if self._s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        else:  # SQLite: take the write lock first, so a second writer waits and reads what the first wrote
            await self._s.execute(update(RequestRow).where(RequestRow.id == request_id).values(status=RequestRow.status))
        row = (await self._s.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()
        return request_from_row(row) if row else None

    async def add(self, request: InterviewRequest) -> None:
        try:
            async with self._s.begin_nested():
                self._s.add(RequestRow(**_request_values(request)))
                await self._s.flush()
        except IntegrityError as exc:
            raise Conflict(
                f"You already have an open {request.interview_type.label} request. "
                "Cancel it with `/mock cancel` or wait for your match."
            ) from exc

    async def save(self, request: InterviewRequest) -> None:
        """Update the row in one statement (no read first); insert it when there is none."""
        values = _request_values(request)
        values.pop("id")
        result = await self._s.execute(
            update(RequestRow).where(RequestRow.id == request.id).values(**values)  # type: ignore[arg-type]
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            await self.add(request)

    async def open_for_member(self, member_id: str) -> list[InterviewRequest]:
        result = await self._s.execute(
            select(RequestRow)
            .where(RequestRow.member_id == member_id, RequestRow.status == RequestStatus.OPEN.value)
            .order_by(RequestRow.created_at)
        )
        return [request_from_row(r) for r in result.scalars()]

    async def list_open(self, community_id: str) -> list[InterviewRequest]:
        result = await self._s.execute(
            select(RequestRow)
            .where(RequestRow.community_id == community_id, RequestRow.status == RequestStatus.OPEN.value)
            .order_by(RequestRow.created_at, RequestRow.id)
        )
        return [request_from_row(r) for r in result.scalars()]

    async def for_member(self, member_id: str) -> list[InterviewRequest]:
        result = await self._s.execute(
            select(RequestRow).where(RequestRow.member_id == member_id).order_by(RequestRow.created_at)
        )
        return [request_from_row(r) for r in result.scalars()]


def session_from_row(row: SessionRow) -> Session:
    return Session(
        id=row.id,
        community_id=row.community_id,
        interview_type=InterviewType(row.interview_type),
        interviewer_id=row.interviewer_id,
        candidate_id=row.candidate_id,
        swap=row.swap,
        start=row.start,
        minutes=row.minutes,
        state=SessionState(row.state),
        request_ids=tuple(row.request_ids),
        prompt_ids=tuple(row.prompt_ids),
        prompt_reasons=tuple(row.prompt_reasons),
        space_ref=row.space_ref,
        sequence=row.sequence,
        confirmed_by=tuple(row.confirmed_by),
        match_reasons=tuple(row.match_reasons),
        created_at=row.created_at,
    )


def _session_values(s: Session) -> dict[str, object]:
    return {
        "id": s.id,
        "community_id": s.community_id,
        "interview_type": s.interview_type.value,
        "interviewer_id": s.interviewer_id,
        "candidate_id": s.candidate_id,
        "swap": s.swap,
        "start": s.start,
        "minutes": s.minutes,
        "state": s.state.value,
        "request_ids": list(s.request_ids),
        "prompt_ids": list(s.prompt_ids),
        "prompt_reasons": list(s.prompt_reasons),
        "space_ref": s.space_ref,
        "sequence": s.sequence,
        "confirmed_by": list(s.confirmed_by),
        "match_reasons": list(s.match_reasons),
        "created_at": s.created_at,
    }


#: Ids per ``IN (...)`` list: well under SQLite's bound-parameter limit.
_IN_CHUNK = 2000


def _chunks(ids: Sequence[str]) -> list[Sequence[str]]:
    return [ids[i : i + _IN_CHUNK] for i in range(0, len(ids), _IN_CHUNK)]


ACTIVE_STATES = (SessionState.PROPOSED.value, SessionState.CONFIRMED.value, SessionState.IN_PROGRESS.value)


class SqlSessionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, session_id: str) -> Session | None:
        row = await self._s.get(SessionRow, session_id)
        return session_from_row(row) if row else None

    async def get_for_update(self, session_id: str) -> Session | None:
        stmt = select(SessionRow).where(SessionRow.id == session_id)
        if self._s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        else:  # SQLite: take the write lock first, so a second press waits and reads what the first wrote
            await self._s.execute(
                update(SessionRow).where(SessionRow.id == session_id).values(sequence=SessionRow.sequence)
            )
        row = (await self._s.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()
        return session_from_row(row) if row else None

    async def add(self, s: Session) -> None:
        self._s.add(SessionRow(**_session_values(s)))
        await self._s.flush()

    async def save(self, s: Session) -> None:
        row = await self._s.get(SessionRow, s.id)
        if row is None:
            await self.add(s)
            return
        for key, value in _session_values(s).items():
            if key != "space_ref":  # only the pair-space claim sets it (a stale copy must not clear it)
                setattr(row, key, value)
        await self._s.flush()

    async def pair_space(self, session_id: str) -> PairSpace | None:
        found = (await self._s.execute(
            select(SessionRow.space_state, SessionRow.space_ref, SessionRow.space_claimed_at)
            .where(SessionRow.id == session_id)
        )).one_or_none()
        if found is None:
            return None
        state, ref, claimed_at = found
        if ref is not None:
            return PairSpace(PairSpaceState.OPEN, ref, claimed_at)
        return PairSpace(PairSpaceState(state) if state else PairSpaceState.NONE, None, claimed_at)

    async def _update_space(self, session_id: str, *where: object, **values: object) -> bool:
        """A compare-and-set: only when the row still matches ``where`` (loaded rows kept in step)."""
        result = await self._s.execute(
            update(SessionRow).where(SessionRow.id == session_id, *where).values(**values)  # type: ignore[arg-type]
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def claim_pair_space(self, session_id: str, token: str, now: datetime) -> bool:
        return await self._update_space(
            session_id, SessionRow.space_state.is_(None), SessionRow.space_ref.is_(None),  # type: ignore[union-attr]
            space_state=PairSpaceState.OPENING.value, space_claim=token, space_claimed_at=now)

    async def set_pair_space(self, session_id: str, token: str, ref: str) -> bool:
        return await self._update_space(
            session_id, SessionRow.space_claim == token, SessionRow.space_state == PairSpaceState.OPENING.value,
            space_state=PairSpaceState.OPEN.value, space_ref=ref)

    async def give_up_pair_space(self, session_id: str) -> None:
        await self._update_space(session_id, SessionRow.space_ref.is_(None),  # type: ignore[union-attr]
                                 space_state=PairSpaceState.DIRECT.value)

    async def for_member(self, member_id: str, *, active_only: bool = False) -> list[Session]:
        stmt = select(SessionRow).where(
            or_(SessionRow.interviewer_id == member_id, SessionRow.candidate_id == member_id)
        )
        if active_only:
            stmt = stmt.where(SessionRow.state.in_(ACTIVE_STATES))  # type: ignore[attr-defined]
        result = await self._s.execute(stmt.order_by(SessionRow.start))
        return [session_from_row(r) for r in result.scalars()]

    async def active_for_members(self, member_ids: Sequence[str]) -> list[Session]:
        if not member_ids:
            return []
        ids = list(member_ids)
        result = await self._s.execute(
            select(SessionRow).where(
                SessionRow.state.in_(ACTIVE_STATES),  # type: ignore[attr-defined]
                or_(SessionRow.interviewer_id.in_(ids), SessionRow.candidate_id.in_(ids)),  # type: ignore[attr-defined]
            )
        )
        return [session_from_row(r) for r in result.scalars()]

    async def for_community(self, community_id: str) -> list[Session]:
        result = await self._s.execute(
            select(SessionRow).where(SessionRow.community_id == community_id).order_by(SessionRow.start)
        )
        return [session_from_row(r) for r in result.scalars()]

    async def live_for_community(self, community_id: str, completed_since: datetime) -> list[Session]:
        """Sessions still to come or running, and completed ones that started at or after
        ``completed_since``; never cancelled or no-show ones (one indexed query)."""
        result = await self._s.execute(
            select(SessionRow)
            .where(
                SessionRow.community_id == community_id,
                or_(
                    SessionRow.state.in_(ACTIVE_STATES),  # type: ignore[attr-defined]
                    (SessionRow.state == SessionState.COMPLETED.value) & (SessionRow.start >= completed_since),  # type: ignore[operator]
                ),
            )
            .order_by(SessionRow.start)
        )
        return [session_from_row(r) for r in result.scalars()]

    async def pairing_history(self, community_id: str, member_ids: Sequence[str]) -> PairingHistory:
        """Grouped in the database: one row per (interviewer, candidate, swap) and per
        (candidate, swap) of these members' completed sessions, not one row per session."""
        wanted = set(member_ids)
        last_met: dict[frozenset[str], datetime] = {}
        given: dict[str, int] = {}
        taken: dict[str, int] = {}
        done = (SessionRow.community_id == community_id, SessionRow.state == SessionState.COMPLETED.value)
        for chunk in _chunks(sorted(wanted)):
            as_first = await self._s.execute(
                select(SessionRow.interviewer_id, SessionRow.candidate_id, SessionRow.swap,
                       func.count(), func.max(SessionRow.start))
                .where(*done, SessionRow.interviewer_id.in_(chunk))  # type: ignore[attr-defined]
                .group_by(SessionRow.interviewer_id, SessionRow.candidate_id, SessionRow.swap)
            )
            for first, second, swap, count, last in as_first.all():
                given[first] = given.get(first, 0) + count
                if swap:
                    taken[first] = taken.get(first, 0) + count
                if second in wanted:
                    key = frozenset((first, second))
                    last_met[key] = max(last_met.get(key, last), last)
            as_second = await self._s.execute(
                select(SessionRow.candidate_id, SessionRow.swap, func.count())
                .where(*done, SessionRow.candidate_id.in_(chunk))  # type: ignore[attr-defined]
                .group_by(SessionRow.candidate_id, SessionRow.swap)
            )
            for second, swap, count in as_second.all():
                taken[second] = taken.get(second, 0) + count
                if swap:
                    given[second] = given.get(second, 0) + count
        return PairingHistory(last_met=last_met, given=given, taken=taken)

    async def prompts_seen(self, community_id: str, member_ids: Sequence[str]) -> dict[str, dict[str, datetime]]:
        return (await self.prompt_history(community_id, member_ids)).as_candidate

    async def prompt_history(self, community_id: str, member_ids: Sequence[str]) -> PromptHistory:
        wanted = set(member_ids)
        as_candidate: dict[str, dict[str, datetime]] = {}
        as_interviewer: dict[str, dict[str, datetime]] = {}
        rows: dict[str, tuple[str, str, list[str], datetime]] = {}
        for chunk in _chunks(sorted(wanted)):
            result = await self._s.execute(
                select(SessionRow.id, SessionRow.interviewer_id, SessionRow.candidate_id, SessionRow.prompt_ids,
                       SessionRow.start)
                .where(SessionRow.community_id == community_id,
                       or_(SessionRow.interviewer_id.in_(chunk), SessionRow.candidate_id.in_(chunk)))  # type: ignore[attr-defined]
            )
            for sid, first, second, prompt_ids, start in result.all():
                rows[sid] = (first, second, list(prompt_ids or ()), start)
        for first, second, prompt_ids, start in rows.values():
            for part, pid in enumerate(prompt_ids):
                candidate, interviewer = (second, first) if part == 0 else (first, second)
                for member, seen in ((candidate, as_candidate), (interviewer, as_interviewer)):
                    if member in wanted:
                        mine = seen.setdefault(member, {})
                        mine[pid] = max(mine.get(pid, start), start)
        return PromptHistory(as_candidate=as_candidate, as_interviewer=as_interviewer)


def action_from_row(row: ScheduledActionRow) -> ScheduledAction:
    return ScheduledAction(
        id=row.id,
        key=row.key,
        kind=ActionKind(row.kind),
        community_id=row.community_id,
        due_at=row.due_at,
        session_id=row.session_id,
        payload=dict(row.payload),
        status=ActionStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
    )


def _insert_ignore(
    session: AsyncSession, table: object, values: dict[str, object] | list[dict[str, object]],
    key: str | Sequence[str],
) -> object:
    """INSERT of one row (or several, in one statement) that skips rows whose unique ``key``
    (a column, or several) exists."""
    dialect = session.bind.dialect.name
    builder = pg_insert if dialect == "postgresql" else sqlite_insert
    columns = [key] if isinstance(key, str) else list(key)
    return builder(table).values(values).on_conflict_do_nothing(index_elements=columns)  # type: ignore[arg-type]


def _action_values(action: ScheduledAction) -> dict[str, object]:
    return {
        "id": action.id,
        "key": action.key,
        "kind": action.kind.value,
        "community_id": action.community_id,
        "session_id": action.session_id,
        "due_at": action.due_at,
        "payload": action.payload,
        "status": action.status.value,
        "attempts": action.attempts,
        "last_error": action.last_error,
    }


class SqlActionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, action: ScheduledAction) -> bool:
        """Insert unless an action with the same key exists; True when inserted."""
        values = _action_values(action)
        result = await self._s.execute(_insert_ignore(self._s, ScheduledActionRow.__table__, values, "key"))  # type: ignore[arg-type]
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_many(self, actions: Sequence[ScheduledAction]) -> int:
        """Insert these actions in one statement, skipping keys that exist; how many were new."""
        if not actions:
            return 0
        values = [_action_values(a) for a in actions]
        result = await self._s.execute(_insert_ignore(self._s, ScheduledActionRow.__table__, values, "key"))  # type: ignore[arg-type]
        return int(result.rowcount)  # type: ignore[attr-defined]

    async def get(self, action_id: str) -> ScheduledAction | None:
        row = await self._s.get(ScheduledActionRow, action_id)
        return action_from_row(row) if row else None

    async def claim(self, action_id: str) -> ScheduledAction | None:
        """Lock a pending action for this transaction; None if done or claimed elsewhere."""
        stmt = select(ScheduledActionRow).where(
            ScheduledActionRow.id == action_id, ScheduledActionRow.status == ActionStatus.PENDING.value
        )
        if self._s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        else:
            # SQLite: take the database's write lock first, so a second process waits, then
            # sees the action already done.
            await self._s.execute(
                update(ScheduledActionRow)
                .where(ScheduledActionRow.id == action_id)
                .values(attempts=ScheduledActionRow.attempts)
            )
        row = (await self._s.execute(stmt)).scalar_one_or_none()
        return action_from_row(row) if row else None

    async def due_ids(self, now: datetime, limit: int = 500) -> list[str]:
        stmt = (
            select(ScheduledActionRow.id)
            .where(ScheduledActionRow.status == ActionStatus.PENDING.value, ScheduledActionRow.due_at <= now)
            .order_by(ScheduledActionRow.due_at, ScheduledActionRow.id)
            .limit(limit)
        )
        if self._s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return list((await self._s.execute(stmt)).scalars())

    async def pending(self, until: datetime | None = None) -> list[tuple[str, datetime]]:
        """Pending actions' ids and due times, in due order (to rebuild timers on start);
        only those due at or before ``until`` when given (the runtime's arming horizon)."""
        stmt = select(ScheduledActionRow.id, ScheduledActionRow.due_at).where(
            ScheduledActionRow.status == ActionStatus.PENDING.value
        )
        if until is not None:
            stmt = stmt.where(ScheduledActionRow.due_at <= until)
        result = await self._s.execute(stmt.order_by(ScheduledActionRow.due_at, ScheduledActionRow.id))
        return [(r[0], r[1]) for r in result.all()]

    async def finish(
        self, action_id: str, status: ActionStatus, now: datetime, error: str | None = None
    ) -> None:
        row = await self._s.get(ScheduledActionRow, action_id)
        if row is not None:
            row.status = status.value
            row.finished_at = now
            row.last_error = error[:500] if error else None
            await self._s.flush()

    async def retry_later(self, action_id: str, due_at: datetime, error: str) -> int:
        row = await self._s.get(ScheduledActionRow, action_id)
        if row is None:
            return 0
        row.attempts += 1
        row.due_at = due_at
        row.last_error = error[:500]
        await self._s.flush()
        return row.attempts

    async def cancel_for_session(self, session_id: str, now: datetime, kinds: Sequence[ActionKind] | None = None) -> None:
        stmt = (
            update(ScheduledActionRow)
            .where(
                ScheduledActionRow.session_id == session_id,
                ScheduledActionRow.status == ActionStatus.PENDING.value,
            )
            .values(status=ActionStatus.SKIPPED.value, finished_at=now, last_error="session changed")
        )
        if kinds:
            stmt = stmt.where(ScheduledActionRow.kind.in_([k.value for k in kinds]))  # type: ignore[attr-defined]
        await self._s.execute(stmt)

    async def for_session(self, session_id: str) -> list[ScheduledAction]:
        result = await self._s.execute(
            select(ScheduledActionRow).where(ScheduledActionRow.session_id == session_id).order_by(ScheduledActionRow.due_at)
        )
        return [action_from_row(r) for r in result.scalars()]

    async def by_kind(self, kind: ActionKind) -> list[ScheduledAction]:
        result = await self._s.execute(select(ScheduledActionRow).where(ScheduledActionRow.kind == kind.value))
        return [action_from_row(r) for r in result.scalars()]

    async def delete_pending(self, community_id: str, kind: ActionKind) -> int:
        result = await self._s.execute(
            delete(ScheduledActionRow).where(
                ScheduledActionRow.community_id == community_id,
                ScheduledActionRow.kind == kind.value,
                ScheduledActionRow.status == ActionStatus.PENDING.value,
            )
        )
        return int(result.rowcount)  # type: ignore[attr-defined]


def outbox_from_row(row: OutboxRow) -> OutboxItem:
    return OutboxItem(
        id=row.id,
        key=row.key,
        community_id=row.community_id,
        message=dict(row.message),
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        member_id=row.member_id,
        space_ref=row.space_ref,
        private=row.private,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        sent_ref=row.sent_ref,
        fallback_used=row.fallback_used,
    )


def _outbox_values(item: OutboxItem) -> dict[str, object]:
    return {
        "id": item.id,
        "key": item.key,
        "community_id": item.community_id,
        "member_id": item.member_id,
        "space_ref": item.space_ref,
        "private": item.private,
        "message": item.message,
        "status": item.status.value,
        "attempts": item.attempts,
        "created_at": item.created_at,
        "next_attempt_at": item.next_attempt_at,
        "fallback_used": False,
    }


class SqlOutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session
        #: Messages queued in this transaction so far: their reading order (``OutboxRow.position``).
        self._queued = 0

    def _values(self, item: OutboxItem) -> dict[str, object]:
        self._queued += 1
        return {**_outbox_values(item), "position": self._queued}

    async def add(self, item: OutboxItem) -> bool:
        result = await self._s.execute(
            _insert_ignore(self._s, OutboxRow.__table__, self._values(item), "key"))  # type: ignore[arg-type]
        return bool(result.rowcount)  # type: ignore[attr-defined]

    async def add_many(self, items: Sequence[OutboxItem]) -> int:
        """``add`` for several items, one statement per 500; how many were new."""
        added = 0
        for start in range(0, len(items), 500):
            values = [self._values(item) for item in items[start:start + 500]]
            result = await self._s.execute(_insert_ignore(self._s, OutboxRow.__table__, values, "key"))  # type: ignore[arg-type]
            added += int(result.rowcount)  # type: ignore[attr-defined]
        return added

    async def due_ids(self, now: datetime, limit: int = 200) -> list[str]:
        result = await self._s.execute(
            select(OutboxRow.id)
            .where(OutboxRow.status == OutboxStatus.PENDING.value, OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.created_at, OutboxRow.position, OutboxRow.key)
            .limit(limit)
        )
        return list(result.scalars())

    async def claim(self, item_id: str) -> OutboxItem | None:
        stmt = select(OutboxRow).where(OutboxRow.id == item_id, OutboxRow.status == OutboxStatus.PENDING.value)
        if self._s.bind.dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        else:
            await self._s.execute(update(OutboxRow).where(OutboxRow.id == item_id).values(attempts=OutboxRow.attempts))
        row = (await self._s.execute(stmt)).scalar_one_or_none()
        return outbox_from_row(row) if row else None

    async def mark_sent(self, item_id: str, ref: str, *, fallback: bool = False) -> None:
        row = await self._s.get(OutboxRow, item_id)
        if row is not None:
            row.status = OutboxStatus.SENT.value
            row.sent_ref = ref[:128]
            row.fallback_used = fallback
            row.attempts += 1
            await self._s.flush()

    async def retry_later(self, item_id: str, when: datetime, error: str, *, give_up: bool) -> None:
        row = await self._s.get(OutboxRow, item_id)
        if row is not None:
            row.attempts += 1
            row.last_error = error[:500]
            row.next_attempt_at = when
            if give_up:
                row.status = OutboxStatus.FAILED.value
            await self._s.flush()

    async def all(self) -> list[OutboxItem]:
        result = await self._s.execute(
            select(OutboxRow).order_by(OutboxRow.created_at, OutboxRow.position, OutboxRow.key))
        return [outbox_from_row(r) for r in result.scalars()]


class SqlRoundRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, record: RoundRecord) -> None:
        self._s.add(
            MatchRoundRow(
                id=record.id,
                community_id=record.community_id,
                ran_at=record.ran_at,
                considered=list(record.considered),
                paired=[list(p) for p in record.paired],
                left_out=[list(x) for x in record.left_out],
            )
        )
        await self._s.flush()

    async def latest(self, community_id: str, limit: int = 20) -> list[RoundRecord]:
        result = await self._s.execute(
            select(MatchRoundRow)
            .where(MatchRoundRow.community_id == community_id)
            .order_by(MatchRoundRow.ran_at.desc())  # type: ignore[attr-defined]
            .limit(limit)
        )
        return [
            RoundRecord(
                id=r.id,
                community_id=r.community_id,
                ran_at=r.ran_at,
                considered=tuple(r.considered),
                paired=tuple((p[0], p[1], p[2]) for p in r.paired),
                left_out=tuple((x[0], x[1], x[2]) for x in r.left_out),
            )
            for r in result.scalars()
        ]

    async def lock_community(self, community_id: str) -> None:
        """Serialise matching rounds of one community across processes (held until commit)."""
        if self._s.bind.dialect.name == "postgresql":
            await self._s.execute(
                text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"peerloop-round:{community_id}"}
            )
        else:
            await self._s.execute(
                update(CommunityRow).where(CommunityRow.id == community_id).values(name=CommunityRow.name)
            )


class SqlNoShowRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, report: NoShowReport, report_id: str) -> bool:
        values = {
            "id": report_id,
            "session_id": report.session_id,
            "reporter_id": report.reporter_id,
            "absent_id": report.absent_id,
            "reported_at": report.reported_at,
            "cleared": False,
        }
        stmt = _insert_ignore(self._s, NoShowRow.__table__, values, ("session_id", "reporter_id"))  # type: ignore[attr-defined]
        result = await self._s.execute(stmt)  # type: ignore[call-overload]
        return bool(result.rowcount)

    async def for_members(self, member_ids: Sequence[str]) -> list[NoShowReport]:
        if not member_ids:
            return []
        result = await self._s.execute(
            select(NoShowRow).where(NoShowRow.absent_id.in_(list(member_ids)), NoShowRow.cleared.is_(False))  # type: ignore[attr-defined]
        )
        return [
            NoShowReport(r.session_id, r.reporter_id, r.absent_id, r.reported_at, r.cleared) for r in result.scalars()
        ]

    async def clear_for(self, member_id: str) -> int:
        result = await self._s.execute(
            update(NoShowRow).where(NoShowRow.absent_id == member_id, NoShowRow.cleared.is_(False)).values(cleared=True)  # type: ignore[attr-defined]
        )
        return int(result.rowcount)  # type: ignore[attr-defined]

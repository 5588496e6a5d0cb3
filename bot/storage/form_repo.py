"""The form draft repository: :class:`bot.core.forms.FormDraft` in and out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from bot.core.forms import FormDraft, form_from_dict, form_to_dict, values_from_dict, values_to_dict
from bot.core.models import Platform
from bot.storage.form_tables import FormDraftRow
from bot.storage.queries import dialect_name


def _draft(row: FormDraftRow) -> FormDraft:
    return FormDraft(
        id=row.id,
        platform=Platform(row.platform),
        owner_ref=row.owner_ref,
        form=form_from_dict(row.form),
        values=values_from_dict(row.answers),
        step=row.step,
        created_at=row.created_at,
        expires_at=row.expires_at,
    )


class SqlFormDraftRepo:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, draft: FormDraft) -> None:
        self._s.add(
            FormDraftRow(
                id=draft.id,
                platform=draft.platform.value,
                owner_ref=draft.owner_ref,
                action=draft.form.action,
                form=form_to_dict(draft.form),
                answers=values_to_dict(draft.values),
                step=draft.step,
                created_at=draft.created_at,
                expires_at=draft.expires_at,
            )
        )
        await self._s.flush()

    async def find(self, platform: Platform, owner_ref: str, action: str) -> FormDraft | None:
        row = (
            await self._s.execute(
                select(FormDraftRow)
                .where(
                    col(FormDraftRow.platform) == platform.value,
                    col(FormDraftRow.owner_ref) == owner_ref,
                    col(FormDraftRow.action) == action,
                )
                .order_by(col(FormDraftRow.created_at).desc())
                .limit(1)
            )
        ).scalar_one_or_none()
        return _draft(row) if row is not None else None

    async def get(self, draft_id: str, *, for_update: bool = False) -> FormDraft | None:
        stmt = select(FormDraftRow).where(col(FormDraftRow.id) == draft_id)
        if for_update:
            if dialect_name(self._s) == "postgresql":
                stmt = stmt.with_for_update()
            else:  # SQLite: take the write lock first, so a second press waits for this one
                await self._s.execute(
                    update(FormDraftRow)
                    .where(col(FormDraftRow.id) == draft_id)
                    .values(step=col(FormDraftRow.step))
                )
        row = (
            await self._s.execute(stmt.execution_options(populate_existing=True))
        ).scalar_one_or_none()
        return _draft(row) if row is not None else None

    async def save(self, draft: FormDraft) -> None:
        await self._s.execute(
            update(FormDraftRow)
            .where(col(FormDraftRow.id) == draft.id)
            .values(
                answers=values_to_dict(draft.values),
                step=draft.step,
                expires_at=draft.expires_at,
            )
        )

    async def delete(self, draft_id: str) -> bool:
        result = await self._s.execute(delete(FormDraftRow).where(col(FormDraftRow.id) == draft_id))
        return bool(getattr(result, "rowcount", 0))

    async def delete_expired(self, now: datetime) -> int:
        result = await self._s.execute(
            delete(FormDraftRow).where(col(FormDraftRow.expires_at) <= now)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def delete_for_owner(self, platform: Platform, owner_ref: str) -> int:
        result = await self._s.execute(
            delete(FormDraftRow).where(
                col(FormDraftRow.platform) == platform.value,
                col(FormDraftRow.owner_ref) == owner_ref,
            )
        )
        return int(getattr(result, "rowcount", 0) or 0)

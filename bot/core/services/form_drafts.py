"""Stored form progress: one draft per opened form, bound to its member, with an expiry.

Every press on a form's screens goes through :meth:`FormDraftService.load` or
:meth:`~FormDraftService.update`, which refuse a draft that is gone or expired, and a
press by anyone but the member who opened the form, before anything changes. The last
screen :meth:`~FormDraftService.take` s the draft (deletes it in the same transaction),
so a form is submitted once however often its last button is pressed.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta

from bot.core.clock import Clock
from bot.core.errors import NotFound, PermissionDenied
from bot.core.forms import FormDraft, initial_values
from bot.core.messages import FormSpec, FormValues
from bot.core.models import Platform
from bot.core.ports import UnitOfWork, UnitOfWorkFactory

#: How long an untouched draft is kept; every saved screen starts the time again.
FORM_DRAFT_TTL = timedelta(hours=1)

EXPIRED = "This form has expired or was already sent. Open it again from its button or command."
NOT_YOURS = "This form belongs to someone else: open your own from the button or command."


class FormExpired(NotFound):
    """The form's draft expired or never existed."""

    def __init__(self) -> None:
        super().__init__(EXPIRED)


class FormNotYours(PermissionDenied):
    """Someone other than the member who opened the form tried to fill it."""

    def __init__(self) -> None:
        super().__init__(NOT_YOURS)


def new_draft_id() -> str:
    """Unguessable (128 bits), and short enough for a 100-character custom id."""
    return secrets.token_urlsafe(16)


class FormDraftService:
    """Half-filled forms a face shows over several screens (Discord): stored per user with a time
    to live, so they survive a restart."""

    def __init__(
        self, uow: UnitOfWorkFactory, clock: Clock, ttl: timedelta = FORM_DRAFT_TTL
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.ttl = ttl

    async def start(self, platform: Platform, owner_ref: str, form: FormSpec) -> FormDraft:
        """The member's draft of ``form``: the one they left half-filled if the form is the
        same (so opening it again goes on where they were), else a new one. One draft per
        form and member, however often it is opened; expired drafts (anyone's) go on the way."""
        now = self._clock.now()
        async with self._uow() as tx:
            await tx.form_drafts.delete_expired(now)
            existing = await tx.form_drafts.find(platform, owner_ref, form.action)
            if existing is not None and existing.form == form:
                draft = replace(existing, expires_at=now + self.ttl)
                await tx.form_drafts.save(draft)
                return draft
            if existing is not None:
                await tx.form_drafts.delete(existing.id)
            draft = FormDraft(
                id=new_draft_id(),
                platform=platform,
                owner_ref=owner_ref,
                form=form,
                values=initial_values(form),
                step=0,
                created_at=now,
                expires_at=now + self.ttl,
            )
            await tx.form_drafts.add(draft)
        return draft

    async def _checked(
        self,
        tx: UnitOfWork,
        draft_id: str,
        platform: Platform,
        owner_ref: str,
        *,
        lock: bool = False,
    ) -> FormDraft:
        draft = await tx.form_drafts.get(draft_id, for_update=lock)
        if draft is None or draft.platform is not platform:
            raise FormExpired()
        if draft.owner_ref != owner_ref:
            raise FormNotYours()
        if draft.expires_at <= self._clock.now():
            raise FormExpired()
        return draft

    async def load(self, draft_id: str, platform: Platform, owner_ref: str) -> FormDraft:
        """The draft, if it exists, has not expired and belongs to ``owner_ref``."""
        async with self._uow() as tx:
            return await self._checked(tx, draft_id, platform, owner_ref)

    async def update(
        self,
        draft_id: str,
        platform: Platform,
        owner_ref: str,
        values: Mapping[str, str | tuple[str, ...]],
        *,
        step: int | None = None,
    ) -> FormDraft:
        """Merge ``values`` in and move on to ``step`` (never back: an old screen's button
        saves its answers and goes on from the furthest screen reached)."""
        async with self._uow() as tx:
            draft = await self._checked(tx, draft_id, platform, owner_ref, lock=True)
            merged: FormValues = {**draft.values, **values}
            draft = replace(
                draft,
                values=merged,
                step=draft.step if step is None else max(draft.step, step),
                expires_at=self._clock.now() + self.ttl,
            )
            await tx.form_drafts.save(draft)
        return draft

    async def take(self, draft_id: str, platform: Platform, owner_ref: str) -> FormDraft:
        """The finished draft, deleted: only one submit gets it."""
        async with self._uow() as tx:
            draft = await self._checked(tx, draft_id, platform, owner_ref, lock=True)
            if not await tx.form_drafts.delete(draft_id):
                raise FormExpired()
        return draft

    async def put_back(self, draft: FormDraft, step: int) -> FormDraft:
        """A taken draft again, on ``step``, when its submit was refused or failed: the answers
        are not lost, and the member sends it again from that screen."""
        draft = replace(draft, step=step, expires_at=self._clock.now() + self.ttl)
        async with self._uow() as tx:
            if await tx.form_drafts.get(draft.id) is None:
                await tx.form_drafts.add(draft)
        return draft

    async def purge_expired(self) -> int:
        """Delete the expired drafts; returns how many."""
        async with self._uow() as tx:
            return await tx.form_drafts.delete_expired(self._clock.now())

    async def forget(self, platform: Platform, owner_ref: str) -> int:
        """Every draft of a member (for erasure)."""
        async with self._uow() as tx:
            return await tx.form_drafts.delete_for_owner(platform, owner_ref)

"""The composition root's building blocks: one place that wires storage, services and faces.

``bot/__main__.py`` reads settings once and calls :func:`build_app`; tests build the
same object on a temporary database with a fake clock and fake chat ports.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path

from bot.adapters.charts import render_changes_png, render_funnel_png, render_progress_png
from bot.adapters.offload import InlineOffload, ProcessOffload
from bot.core.admin_commands import AdminRouter
from bot.core.clock import Clock, SystemClock
from bot.core.commands import CommandRouter
from bot.core.friend_commands import declare_friend_commands
from bot.core.limits import RateLimit, RateLimiter
from bot.core.loop_commands import declare_loop_commands
from bot.core.models import Platform
from bot.core.pack_commands import IMPORT_VERB
from bot.core.packs import CommunityPrompts
from bot.core.partner_commands import declare_partner_commands
from bot.core.ports import ChatPort, PromptSource
from bot.core.report_commands import declare_report_commands
from bot.core.services.actor import ActorResolver
from bot.core.services.admin import AdminService
from bot.core.services.delivery import DeliveryService
from bot.core.services.digest import DigestService
from bot.core.services.feedback import FeedbackService
from bot.core.services.form_drafts import FormDraftService
from bot.core.services.friends import FriendService
from bot.core.services.matching import MatchingService
from bot.core.services.mock_loop import LoopService
from bot.core.services.onboarding import OnboardingService, install_onboarding
from bot.core.services.packs import PackService
from bot.core.services.partners import PartnerService
from bot.core.services.privacy import PrivacyService
from bot.core.services.profiles import ProfileService
from bot.core.services.progress import ProgressService
from bot.core.services.reports import ReportService
from bot.core.services.requests import RequestService
from bot.core.services.retention import DEFAULT_DAYS, RetentionService
from bot.core.services.session_early import EarlySessionService
from bot.core.services.sessions import SessionService
from bot.core.services.step_runner import StepHooks, StepRunner
from bot.core.session_commands import declare_session_commands
from bot.core.surface.commands import ADMIN, command, schedule_form
from bot.prompts.codec import BankPackCodec
from bot.prompts.loop_templates import load_loop_templates
from bot.storage.db import Database

log = logging.getLogger(__name__)


@dataclass
class App:
    """The object graph: every service is given when it is built (:func:`build_app`)."""

    db: Database
    clock: Clock
    prompts: PromptSource
    actors: ActorResolver
    profiles: ProfileService
    requests: RequestService
    sessions: SessionService
    matching: MatchingService
    steps: StepRunner
    delivery: DeliveryService
    router: CommandRouter
    chats: dict[Platform, ChatPort]
    feedback: FeedbackService
    admin: AdminService
    digests: DigestService
    progress: ProgressService
    admin_commands: AdminRouter
    #: Where CPU-heavy pure work runs (the matching engine): worker processes, started on first use.
    offload: ProcessOffload | InlineOffload
    #: Half-filled forms of faces that show a form over several screens (Discord).
    forms: FormDraftService
    retention: RetentionService
    #: Community prompt packs: None when the prompts are a fixed source rather than the bundled bank.
    packs: PackService | None
    #: The profile form (guided onboarding) and the admins' sign-up message.
    onboarding: OnboardingService
    #: Mock loops: booking, status, cancelling and the debrief.
    loops: LoopService
    #: False in a process without the worker role: faces leave steps and the outbox to a worker.
    runs_steps: bool = True

    async def tick(self) -> None:
        """Run every step due now and deliver what they queued, until nothing is left."""
        if not self.runs_steps:
            return
        for _ in range(50):
            ran = await self.steps.run_due()
            sent = await self.delivery.deliver_due()
            if not ran and not sent:
                return

    async def next_due(self) -> datetime | None:
        async with self.db.uow() as tx:
            pending = await tx.actions.pending()
        return min((due for _, due in pending), default=None)

    async def close(self) -> None:
        try:
            if self.offload is not None:
                await self.offload.close()
        finally:
            await self.db.dispose()


_BANK: PromptSource | None = None


def bundled_prompts() -> PromptSource:
    """The bundled question bank, loaded and validated once per process."""
    global _BANK
    if _BANK is None:
        from bot.prompts import load_bundled

        _BANK = load_bundled()
    return _BANK


async def build_app(
    database_url: str,
    *,
    clock: Clock | None = None,
    upgrade: bool = True,
    chats: Mapping[Platform, ChatPort] | None = None,
    prompts: PromptSource | None = None,
    offload: ProcessOffload | InlineOffload | None = None,
    retention_days: int = DEFAULT_DAYS,
    rate_limit: RateLimit | None = None,
    loop_templates_dir: Path | None = None,
) -> App:
    """The app on ``database_url``. The matching engine runs in a worker process
    (:class:`ProcessOffload`, started on the first round) unless ``offload`` says otherwise."""
    db = Database(database_url)
    if upgrade:
        await db.upgrade()
    clock = clock or SystemClock()
    bank = prompts or CommunityPrompts(BankPackCodec())
    if isinstance(bank, CommunityPrompts):  # each community's packs and switched-off types
        await bank.warm(db.uow)
    chat_map: dict[Platform, ChatPort] = dict(chats or {})
    profiles = ProfileService(db.uow, clock)
    requests = RequestService(db.uow, clock, bank)
    sessions = SessionService(db.uow, clock, bank)
    pool = offload if offload is not None else ProcessOffload()
    # the bundled loop templates and the community's own (LOOP_TEMPLATES_DIR), checked first
    loops = LoopService(db.uow, clock, bank, load_loop_templates(loop_templates_dir))
    matching = MatchingService(db.uow, clock, bank, pool, more_history=loops.partner_history)
    feedback = FeedbackService(db.uow, clock, bank, on_reveal=loops.after_reveal)

    # The per-member limit: the process's settings (``bot/__main__.py``); none when not given
    # (tests and the demo drive many presses per second on purpose).
    # The services draw pictures on a thread; with worker processes that thread hands the drawing
    # to one of them, so matplotlib never competes with the event loop for the interpreter.
    def offloaded(render: Callable[..., bytes]) -> Callable[..., bytes]:
        return partial(pool.call, render) if isinstance(pool, ProcessOffload) else render

    chart = offloaded(render_progress_png)
    progress = ProgressService(db.uow, clock, chart, bank)
    digests = DigestService(
        db.uow,
        clock,
        bank,
        changes_chart=offloaded(render_changes_png),
        funnel_chart=offloaded(render_funnel_png),
    )
    privacy = PrivacyService(db.uow, clock)
    router = CommandRouter(
        profiles,
        requests,
        sessions,
        matching,
        feedback=feedback,
        progress=progress,
        digests=digests,
        privacy=privacy,
        limiter=RateLimiter(rate_limit or RateLimit(burst=0)),
    )
    admin = AdminService(
        db.uow,
        clock,
        matching,
        prompts=bank,
        digest_planner=digests.plan,
        funnel_chart=offloaded(render_funnel_png),
    )
    retention = RetentionService(db.uow, clock, retention_days)  # RETENTION_DAYS
    reports = ReportService(db.uow, clock)
    steps = StepRunner(
        db.uow,
        clock,
        bank,
        StepHooks(
            run_round=matching.scheduled_round,
            feedback_owed=feedback.owed_for_session,
            close_feedback=feedback.close_window,
            run_digest=digests.run_step,
            run_retention=retention.run_step,
            run_loop_debrief=loops.run_step,
            end_suspension=reports.end_step,
        ),
        chats=chat_map,
    )
    # digest pictures are drawn as each digest is delivered
    delivery = DeliveryService(db.uow, clock, chat_map, pictures=digests.draw)
    packs = PackService(db.uow, clock, bank) if isinstance(bank, CommunityPrompts) else None
    admin_commands = AdminRouter(admin, router, packs=packs)
    declare_partner_commands(router, PartnerService(db.uow, clock))
    declare_friend_commands(router, FriendService(db.uow, clock, bank))
    declare_session_commands(
        router, admin_commands, EarlySessionService(db.uow, clock, sessions, steps.run_one)
    )
    declare_loop_commands(router, loops, progress)
    declare_report_commands(router, admin_commands, reports, progress)
    onboarding = install_onboarding(
        OnboardingService(db.uow, clock, schedule_form=schedule_form), router
    )
    router.declare(command(ADMIN, "signup"), lambda actor, _args: onboarding.signup(actor))
    router.check_complete()  # every declared command has its handler
    router.mark_form(IMPORT_VERB)  # the prompt pack form's submissions count as forms sent
    return App(
        db=db,
        clock=clock,
        prompts=bank,
        actors=ActorResolver(db.uow, clock),
        profiles=profiles,
        requests=requests,
        sessions=sessions,
        matching=matching,
        steps=steps,
        delivery=delivery,
        router=router,
        chats=chat_map,
        feedback=feedback,
        admin=admin,
        digests=digests,
        progress=progress,
        admin_commands=admin_commands,
        offload=pool,
        forms=FormDraftService(db.uow, clock),
        retention=retention,
        packs=packs,
        onboarding=onboarding,
        loops=loops,
    )

"""Every command of PeerLoop, declared once: ``/mock …``, ``/mockadmin …`` and ``/mockadmin prompts …``.

Each command is a :class:`Command`: its path (``("schedule",)``, ``("admin", "setup")``,
``("admin", "prompts", "export")``), a one-line summary, a help paragraph, its arguments
(a frozen dataclass whose fields are the options, see :mod:`bot.core.surface.options`)
and, for some, the form that collects the options when a member gives none. The router
dispatches from these declarations; Discord's command tree, the Slack and console text
parsing and every help text are built from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from bot.core.messages import FormSpec
from bot.core.ratings import REPUTATION_WEIGHT_RANGE
from bot.core.report_models import (
    MAX_REPORT_TEXT,
    MAX_SUSPEND_DAYS,
    MAX_SUSPEND_REASON,
    REPORT_SUBMIT,
    ReportReason,
)
from bot.core.services.admin import (
    MATCH_EVERY_RANGE,
    SESSION_LENGTHS,
    VOICE_CLOSE_RANGE,
    VOICE_OPEN_RANGE,
    WEEKDAY_NAMES,
    WEEKDAYS,
)
from bot.core.services.digest import CHOICES as DIGEST_CHOICES
from bot.core.services.packs import MAX_PACK_BYTES
from bot.core.services.requests import DEFAULT_DAYS, MAX_DAYS, MIN_DAYS, SCHEDULE_SUBMIT
from bot.core.surface.forms import FormDecl, form_of
from bot.core.surface.options import (
    ChannelRef,
    Complete,
    FileRef,
    MemberRef,
    Opt,
    Option,
    options_of,
)
from bot.core.surface.values import parse_reminders
from bot.core.text import AVAILABILITY_EXAMPLE
from bot.core.vocab import InterviewType, Level, RolePreference

#: The first word of admin commands on text faces (``/mock admin setup``); Discord's ``/mockadmin``.
ADMIN = "admin"
PROMPTS = "prompts"


@dataclass(frozen=True)
class Command:
    """One command: where it lives, what it says about itself, its typed arguments, its form."""

    path: tuple[str, ...]
    summary: str
    args: type
    detail: str = ""
    #: The form that collects the options when the member gives none (None: run with none);
    #: its inputs are the options (:func:`bot.core.surface.forms.form_of`).
    form: FormDecl | None = None

    @property
    def name(self) -> str:
        """The last word of the path (``export`` of ``admin prompts export``)."""
        return self.path[-1]

    @property
    def admin(self) -> bool:
        """Whether only admins may run it (every ``admin …`` command)."""
        return self.path[0] == ADMIN

    @property
    def options(self) -> tuple[Option, ...]:
        """Its options, read from the argument dataclass."""
        return options_of(self.args)

    @property
    def usage(self) -> str:
        """``/mock schedule`` / ``/mock admin setup`` (the text faces' spelling)."""
        return "/mock " + " ".join(self.path)

    def form_spec(self) -> FormSpec:
        """The form built from the options (the command must declare one)."""
        if self.form is None:
            raise ValueError(f"{self.usage} declares no form")
        return form_of(self.args, self.form)

    @property
    def help(self) -> str:
        """The help paragraph (its detail, else its summary)."""
        return self.detail or f"`{self.usage}` — {self.summary}"


# -- /mock ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NoArgs:
    """A command without options."""


@dataclass(frozen=True)
class ProfileArgs:
    """``/mock profile``."""

    timezone: Annotated[
        str | None,
        Opt(
            "Your time zone, e.g. Europe/Berlin",
            complete=Complete.TIMEZONE,
            aliases=("tz",),
            max_length=64,
        ),
    ] = None
    track: Annotated[str | None, Opt("Your role track", complete=Complete.TRACK, max_length=64)] = (
        None
    )
    level: Annotated[Level | None, Opt("Your level")] = None
    types: Annotated[
        tuple[InterviewType, ...] | None,
        Opt(
            "Interview types, comma-separated",
            complete=Complete.TYPES,
            aliases=("interview_types",),
        ),
    ] = None
    languages: Annotated[
        str | None,
        Opt("Programming languages, comma-separated", complete=Complete.LANGUAGES, max_length=200),
    ] = None


@dataclass(frozen=True)
class AvailabilityArgs:
    """``/mock availability``."""

    text: Annotated[str | None, Opt(f"e.g. {AVAILABILITY_EXAMPLE}", rest=True, max_length=500)] = (
        None
    )
    blackouts: Annotated[
        str | None, Opt("Dates you're away, e.g. 2026-12-24..2026-12-31", max_length=500)
    ] = None


@dataclass(frozen=True)
class ScheduleArgs:
    """``/mock schedule`` (no options: the schedule form)."""

    type: Annotated[InterviewType | None, Opt("Interview type", rest=True)] = None
    role: Annotated[RolePreference, Opt("Your role")] = RolePreference.SWAP
    days: Annotated[
        int,
        Opt(f"How many days ahead to look (default {DEFAULT_DAYS})", min=MIN_DAYS, max=MAX_DAYS),
    ] = DEFAULT_DAYS
    partner: Annotated[
        MemberRef | None,
        Opt(
            "Practise with this member: they are asked first",
            aliases=("with", "friend"),
            max_length=200,
        ),
    ] = None


@dataclass(frozen=True)
class NowArgs:
    """``/mock now`` (no options: the now form)."""

    type: Annotated[InterviewType | None, Opt("Interview type", rest=True)] = None
    role: Annotated[RolePreference, Opt("Your role")] = RolePreference.SWAP


@dataclass(frozen=True)
class CancelArgs:
    """``/mock cancel``."""

    request: Annotated[
        str | None, Opt("Which request (empty: list them)", rest=True, max_length=100)
    ] = None


@dataclass(frozen=True)
class DigestArgs:
    """``/mock digest``."""

    set: Annotated[
        str | None,
        Opt(
            "off, on, nudge or quiet (empty: show your week)",
            rest=True,
            choices=tuple((k, k) for k in DIGEST_CHOICES),
        ),
    ] = None


#: The ``now`` form's verb (``schedule``'s is :data:`bot.core.services.requests.SCHEDULE_SUBMIT`).
NOW_SUBMIT = "now.submit"
SCHEDULE_FORM = FormDecl(
    SCHEDULE_SUBMIT,
    "Schedule a mock interview",
    submit_label="Schedule",
    page="Request",
    intro="Pick an interview type; you'll be paired with a peer inside the window you choose.",
    required=("type",),
    labels=(("days", "Within the next"),),
    units=(("days", "day"),),
    omit=("partner",),
)
NOW_FORM = FormDecl(
    NOW_SUBMIT,
    "Practise now",
    submit_label="Find a partner",
    page="Now",
    required=("type",),
    intro="Ready within 15 minutes? Pick an interview type and join the live queue.",
)


@dataclass(frozen=True)
class PartnerArgs:
    """``/mock block`` and ``/mock unblock``."""

    member: Annotated[
        MemberRef, Opt("The member", rest=True, aliases=("user", "who"), max_length=200)
    ]


@dataclass(frozen=True)
class ReportArgs:
    """The "Report a problem" form of a session (opened by its button, never typed)."""

    reason: Annotated[ReportReason, Opt("What was the problem?")]
    details: Annotated[
        str | None, Opt("What happened (only admins read it)", max_length=MAX_REPORT_TEXT)
    ] = None


REPORT_FORM = FormDecl(
    REPORT_SUBMIT,
    "Report a problem",
    submit_label="Send to the admins",
    page="Report",
    intro="Only the community's admins read this. Your partner is never told, and you will "
    "not be paired with them again.",
    labels=(("reason", "What was the problem?"), ("details", "What happened")),
)


MOCK: tuple[Command, ...] = (
    Command(
        ("profile",),
        "Set your time zone, track, level and interview types",
        ProfileArgs,
        "`/mock profile` — set your time zone, role track, level, interview types and languages.",
    ),
    Command(
        ("availability",),
        "When you can practise each week (empty: show it)",
        AvailabilityArgs,
        f"`/mock availability` — when you can practise each week, in your own time, e.g. "
        f"`{AVAILABILITY_EXAMPLE}`. Add blackout dates with `blackouts: 2026-12-24..2026-12-31`.",
    ),
    Command(
        ("schedule",),
        "Ask for a practice session",
        ScheduleArgs,
        "`/mock schedule` — ask for a session: an interview type, a role "
        "(swap: you interview each other, the default; or only candidate; or only interviewer) "
        f"and how many days ahead to look ({MIN_DAYS}-{MAX_DAYS}, default {DEFAULT_DAYS}). "
        "With `partner:@member`, that member is invited and, if they accept, you are both "
        "booked at your first common time. Alone, it opens a form.",
        form=SCHEDULE_FORM,
    ),
    Command(
        ("now",),
        "Ready within 15 minutes? Get paired at once",
        NowArgs,
        "`/mock now` — ready within 15 minutes? Join the live queue and get paired at once. "
        "Alone, it opens a form.",
        form=NOW_FORM,
    ),
    Command(
        ("cancel",),
        "Withdraw an open request",
        CancelArgs,
        "`/mock cancel` — withdraw an open request or cancel a session before it starts.",
    ),
    Command(
        ("upcoming",),
        "Your open requests and booked sessions",
        NoArgs,
        "`/mock upcoming` — your open requests and booked sessions, in your time.",
    ),
    Command(("feedback",), "Feedback forms you still owe", NoArgs),
    Command(("progress",), "Your scores per rubric dimension over time, with a chart", NoArgs),
    Command(("history",), "Past sessions, prompts and verdicts", NoArgs),
    Command(
        ("digest",),
        "Your weekly digest: off, on, nudge or quiet; alone, your last seven days",
        DigestArgs,
        "`/mock digest` — your weekly digest: `off`, `on`, `nudge` (a short note in quiet weeks) "
        "or `quiet` (nothing in quiet weeks); alone, shows your last seven days.",
    ),
    Command(
        ("who",),
        "How many are looking per interview type, and the busiest hours (no names)",
        NoArgs,
        "`/mock who` — without names: how many members are looking per interview type, and the "
        "busiest hours of the week in your time zone, so you can shift your availability.",
    ),
    Command(
        ("block",),
        "Never be paired with a member (nobody is told)",
        PartnerArgs,
        "`/mock block` — never be paired with a member (`member:@name`). It is confidential: "
        "they are never told, and `/mock unblock` undoes it.",
    ),
    Command(("unblock",), "Allow pairing with a member you blocked", PartnerArgs),
    Command(("blocked",), "The members you are never paired with (only you see it)", NoArgs),
    Command(("export",), "All your data as JSON", NoArgs),
    Command(("forget-me",), "Delete all your data (asks to confirm)", NoArgs),
)


# -- /mock loop -------------------------------------------------------------------------------------

#: The group of the mock loop commands (``/mock loop start``).
LOOP = "loop"
LOOP_SUBMIT = "loop.submit"


@dataclass(frozen=True)
class LoopStartArgs:
    """``/mock loop start`` (no options: the loop form)."""

    template: Annotated[
        str | None,
        Opt(
            "The loop template (backend, data-engineering, sre, ml, …)",
            rest=True,
            complete=Complete.LOOP_TEMPLATE,
            max_length=40,
        ),
    ] = None
    level: Annotated[Level | None, Opt("The level you aim at (default: your profile's)")] = None
    days: Annotated[
        int | None, Opt("Days the loop spans (default: the template's)", min=7, max=14)
    ] = None


@dataclass(frozen=True)
class LoopCancelArgs:
    """``/mock loop cancel``."""

    loop: Annotated[
        str | None, Opt("Which loop (empty: your running one)", rest=True, max_length=40)
    ] = None


LOOP_FORM = FormDecl(
    LOOP_SUBMIT,
    "Book a mock loop",
    submit_label="Book the loop",
    page="Loop",
    intro="An onsite rehearsal: three or four rounds of different types, each with a "
    "different peer, over one to two weeks, then a debrief.",
    required=("template",),
    units=(("days", "day"),),
)

LOOPS: tuple[Command, ...] = (
    Command(
        (LOOP, "start"),
        "Book a mock loop: an onsite of 3-4 rounds over one to two weeks",
        LoopStartArgs,
        "`/mock loop start` — book a mock loop: three or four rounds of different interview "
        "types for your track (`template:backend`), each an ordinary session with a different "
        "peer, spread over 7-14 days, then a debrief with a recommendation at your level. "
        "Alone, it opens a form.",
        form=LOOP_FORM,
    ),
    Command(
        (LOOP, "status"),
        "Your loop's rounds, or its debrief once it is written",
        NoArgs,
        "`/mock loop status` — where your loop is: each round's partner and time, or the "
        "debrief once every round's feedback is in (or the loop has ended).",
    ),
    Command(
        (LOOP, "cancel"),
        "Cancel your running loop (booked rounds stay as sessions)",
        LoopCancelArgs,
        "`/mock loop cancel` — withdraw the rounds of your loop not yet paired; booked rounds "
        "stay as ordinary sessions.",
    ),
)


@dataclass(frozen=True)
class HelpArgs:
    """``/mock help``."""

    topic: Annotated[
        str | None,
        Opt(
            "A command to explain",
            rest=True,
            choices=(*((c.name, c.name) for c in MOCK), (LOOP, LOOP)),
        ),
    ] = None


HELP = Command(("help",), "What PeerLoop does and how to use it", HelpArgs)

# -- /mockadmin ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SetupArgs:
    """``/mockadmin setup`` (no options: the settings)."""

    pair_channel: Annotated[
        ChannelRef | None, Opt("Where private pair threads are opened", clear=True)
    ] = None
    admin_channel: Annotated[ChannelRef | None, Opt("The admins' channel", clear=True)] = None
    digest_day: Annotated[
        str | None,
        Opt(
            "The weekday of the weekly digest",
            choices=tuple(zip(WEEKDAY_NAMES, WEEKDAYS, strict=True)),
        ),
    ] = None
    digest_hour: Annotated[
        int | None,
        Opt("The hour of the weekly digest, in each member's time zone (0-23)", min=0, max=23),
    ] = None
    match_every: Annotated[
        int | None,
        Opt(
            f"Minutes between matching rounds ({MATCH_EVERY_RANGE[0]}-{MATCH_EVERY_RANGE[1]})",
            min=MATCH_EVERY_RANGE[0],
            max=MATCH_EVERY_RANGE[1],
        ),
    ] = None
    session_minutes: Annotated[
        int | None,
        Opt(
            "Length of a practice session",
            choices=tuple((f"{n} minutes", str(n)) for n in SESSION_LENGTHS),
        ),
    ] = None
    reminders: Annotated[
        tuple[int, ...] | None,
        Opt(
            "Reminders before the start, e.g. 1d, 1h, 10m (none: no reminders)",
            max_length=100,
            parse=parse_reminders,
        ),
    ] = None
    disabled_types: Annotated[
        tuple[InterviewType, ...] | None,
        Opt(
            "Interview types members may not request, comma-separated (none: all)",
            complete=Complete.TYPES,
            clear=True,
        ),
    ] = None
    prefer_seen_prompts: Annotated[
        bool | None, Opt("Prefer prompts the interviewer has already seen")
    ] = None
    admins_see_feedback: Annotated[bool | None, Opt("Admins may read members' feedback")] = None
    admins_see_blocks: Annotated[
        bool | None, Opt("Admins' member view shows that blocks exist (counts, never who)")
    ] = None
    call_link: Annotated[
        str | None,
        Opt(
            "The call: an https link, {room} = a fresh name per session "
            "(default: a Jitsi Meet room)",
            max_length=300,
        ),
    ] = None
    coding_editor: Annotated[
        str | None,
        Opt(
            "Coding types' shared editor: an https link, {room} allowed "
            "(default: any shared editor)",
            max_length=300,
        ),
    ] = None
    design_board: Annotated[
        str | None,
        Opt(
            "Design types' whiteboard: an https link, {room} allowed (default: an Excalidraw room)",
            max_length=300,
        ),
    ] = None
    reputation_weight: Annotated[
        int | None,
        Opt(
            "How much interviewers' ratings count in matching, in percent "
            f"({REPUTATION_WEIGHT_RANGE[0]}-{REPUTATION_WEIGHT_RANGE[1]}; 100 is the default)",
            min=REPUTATION_WEIGHT_RANGE[0],
            max=REPUTATION_WEIGHT_RANGE[1],
        ),
    ] = None
    voice_category: Annotated[
        ChannelRef | None,
        Opt(
            "Discord: the category where each session gets a private voice channel",
            clear=True,
            category=True,
        ),
    ] = None
    voice_open: Annotated[
        int | None,
        Opt(
            f"Minutes before the start the voice channel opens ({VOICE_OPEN_RANGE[0]}-"
            f"{VOICE_OPEN_RANGE[1]})",
            min=VOICE_OPEN_RANGE[0],
            max=VOICE_OPEN_RANGE[1],
        ),
    ] = None
    voice_close: Annotated[
        int | None,
        Opt(
            f"Minutes after the end the voice channel is removed ({VOICE_CLOSE_RANGE[0]}-"
            f"{VOICE_CLOSE_RANGE[1]})",
            min=VOICE_CLOSE_RANGE[0],
            max=VOICE_CLOSE_RANGE[1],
        ),
    ] = None
    session_events: Annotated[
        bool | None, Opt("Discord: a scheduled event for each session (default: no)")
    ] = None
    reset: Annotated[
        str | None,
        Opt(
            "Go back to the default for a setting",
            choices=(
                ("Pair threads: the platform default", "pair_channel"),
                ("Admins' channel: none", "admin_channel"),
                ("Reminders: none", "reminders"),
                ("Disabled types: none", "disabled_types"),
                ("Call: a Jitsi Meet room per session", "call_link"),
                ("Coding editor: any shared editor", "coding_editor"),
                ("Design whiteboard: an Excalidraw room per session", "design_board"),
                ("Voice channels: none", "voice_category"),
            ),
        ),
    ] = None


@dataclass(frozen=True)
class MemberArgs:
    """``/mockadmin member``."""

    user: Annotated[
        MemberRef,
        Opt("The member to look up", rest=True, aliases=("who", "member"), max_length=200),
    ]


@dataclass(frozen=True)
class PairArgs:
    """``/mockadmin pair``."""

    a: Annotated[MemberRef, Opt("The first member", max_length=200)]
    b: Annotated[MemberRef, Opt("The second member", max_length=200)]
    type: Annotated[InterviewType, Opt("Interview type")]
    role: Annotated[RolePreference, Opt("The first member's role")] = RolePreference.SWAP
    days: Annotated[
        int,
        Opt(f"How many days ahead to look (default {DEFAULT_DAYS})", min=MIN_DAYS, max=MAX_DAYS),
    ] = DEFAULT_DAYS


@dataclass(frozen=True)
class EndSessionArgs:
    """``/mockadmin end``."""

    session: Annotated[
        str,
        Opt("The session's id (the admin member view shows it)", rest=True, max_length=64),
    ]


@dataclass(frozen=True)
class ImportArgs:
    """``/mockadmin prompts import`` (a file on Discord; a paste form elsewhere)."""

    file: Annotated[
        FileRef | None, Opt(f"The pack: .yaml, .yml or .toml, at most {MAX_PACK_BYTES // 1024} KB")
    ] = None


@dataclass(frozen=True)
class ExportArgs:
    """``/mockadmin prompts export``."""

    what: Annotated[
        str | None,
        Opt(
            "A pack id, or an interview type for its built-in prompts (empty: every pack)",
            rest=True,
            max_length=100,
        ),
    ] = None


@dataclass(frozen=True)
class RemoveArgs:
    """``/mockadmin prompts remove``."""

    name: Annotated[str, Opt("The pack's id (see prompts list)", rest=True, max_length=100)]


@dataclass(frozen=True)
class TypesArgs:
    """``/mockadmin prompts disable|enable``."""

    types: Annotated[
        tuple[InterviewType, ...],
        Opt(
            "Interview types, comma-separated, e.g. coding, system design",
            rest=True,
            complete=Complete.TYPES,
        ),
    ]


@dataclass(frozen=True)
class SuspendArgs:
    """``/mockadmin suspend``."""

    member: Annotated[MemberRef, Opt("The member", aliases=("user", "who"), max_length=200)]
    days: Annotated[
        int, Opt(f"For how many days (1-{MAX_SUSPEND_DAYS})", min=1, max=MAX_SUSPEND_DAYS)
    ]
    reason: Annotated[
        str | None,
        Opt(
            "Why (kept for the admins; the member is not shown it)",
            max_length=MAX_SUSPEND_REASON,
        ),
    ] = None


@dataclass(frozen=True)
class UnsuspendArgs:
    """``/mockadmin unsuspend``."""

    member: Annotated[
        MemberRef, Opt("The member", rest=True, aliases=("user", "who"), max_length=200)
    ]


ADMIN_COMMANDS: tuple[Command, ...] = (
    Command((ADMIN, "setup"), "Show PeerLoop's settings here, or change them", SetupArgs),
    Command(
        (ADMIN, "signup"),
        "Post a sign-up message here: its button opens the profile form",
        NoArgs,
        "A public message with a “Join mock interviews” button; whoever presses it gets their own "
        "profile form, then the schedule form.",
    ),
    Command((ADMIN, "stats"), "Community figures over the last 7 and 30 days", NoArgs),
    Command(
        (ADMIN, "member"), "One member: reliability, no-show marks, why not matched", MemberArgs
    ),
    Command(
        (ADMIN, "pair"),
        "Pair two members by hand at their first common time",
        PairArgs,
        "Books two members at their first common time by the matching rules (availability, "
        "blackouts, other sessions, roles), or says why it can't.",
    ),
    Command(
        (ADMIN, "end"),
        "End a stuck session: feedback opens and the pair is told",
        EndSessionArgs,
        "For a session in progress, or one whose start passed without starting: it is completed, "
        "both members get their feedback form and the pair space says an admin ended it.",
    ),
    Command((ADMIN, "status"), "Whether matching is running", NoArgs),
    Command(
        (ADMIN, "reports"),
        "Members' reports about a session's partner, and suspensions",
        NoArgs,
    ),
    Command(
        (ADMIN, "suspend"),
        "Keep a member out of matching for some days (they are told until when)",
        SuspendArgs,
    ),
    Command((ADMIN, "unsuspend"), "End a member's suspension from matching", UnsuspendArgs),
    Command((ADMIN, "pause"), "Stop pairing new sessions (booked ones go ahead)", NoArgs),
    Command((ADMIN, "resume"), "Start pairing again", NoArgs),
    Command(
        (ADMIN, PROMPTS, "list"), "This community's packs and switched-off built-in types", NoArgs
    ),
    Command(
        (ADMIN, PROMPTS, "import"),
        f"Add or replace a prompt pack (a YAML or TOML file, at most {MAX_PACK_BYTES // 1024} KB)",
        ImportArgs,
    ),
    Command(
        (ADMIN, PROMPTS, "export"),
        "The packs as YAML files, or the built-in prompts of a type",
        ExportArgs,
    ),
    Command((ADMIN, PROMPTS, "remove"), "Delete a prompt pack", RemoveArgs),
    Command(
        (ADMIN, PROMPTS, "disable"), "Switch the built-in prompts of interview types off", TypesArgs
    ),
    Command(
        (ADMIN, PROMPTS, "enable"),
        "Switch the built-in prompts of interview types back on",
        TypesArgs,
    ),
)

#: Every declared command, ``/mock`` first.
COMMANDS: tuple[Command, ...] = (HELP, *MOCK, *LOOPS, *ADMIN_COMMANDS)
#: Groups of commands below a path that runs one of them when given alone.
GROUP_DEFAULTS: dict[tuple[str, ...], tuple[str, ...]] = {
    (ADMIN, PROMPTS): (ADMIN, PROMPTS, "list"),
    (LOOP,): (LOOP, "status"),
}
#: Summaries of the groups, for Discord's command groups and help.
GROUPS: dict[tuple[str, ...], str] = {
    (): "Practise interviews with a peer",
    (LOOP,): "Mock loops: an onsite of several rounds, then a debrief",
    (ADMIN,): "Run PeerLoop in this server",
    (ADMIN, PROMPTS): "Community prompt packs",
}


def command(*path: str) -> Command:
    """The declared command at ``path``."""
    for c in COMMANDS:
        if c.path == path:
            return c
    raise KeyError(path)


def schedule_form() -> FormSpec:
    """``/mock schedule``'s form, built from its declaration (the "Schedule a session" button opens it)."""
    return command("schedule").form_spec()


def help_topics() -> dict[str, str]:
    """``/mock help TOPIC``: each member command's help paragraph (``loop``: the loop commands')."""
    return {c.name: c.help for c in MOCK} | {LOOP: "\n".join(c.help for c in LOOPS)}


def help_text() -> str:
    """``/mock help``: what PeerLoop does and one line per command."""
    lines = [
        "**PeerLoop** pairs you with a peer for mock interviews, runs the session and "
        "collects feedback. Start with your profile and availability, then schedule.",
        "",
    ]
    lines += [f"- {c.help}" for c in (*MOCK, *LOOPS)]
    return "\n".join(lines)


def usage_of(c: Command, *, skip: int = 0) -> str:
    """``schedule [type] role:… days:…``: how a text face spells the command and its options."""
    words = " ".join(c.path[skip:])
    opts = " ".join(f"{o.name}:…" for o in c.options if not o.rest and o.kind.value != "file")
    rest = next((f"[{o.name}]" for o in c.options if o.rest), "")
    return " ".join(x for x in (words, rest, opts) if x)


def admin_help_lines(commands: tuple[Command, ...] = ADMIN_COMMANDS) -> list[str]:
    """One line per admin command (``setup`` — …, ``prompts export`` — …)."""
    return [f"`{usage_of(c, skip=1)}` — {c.summary}" for c in commands]


def text_usage() -> str:
    """Every command as a text face spells it, one a line (the console's ``/help``)."""
    return "\n".join(f"  /mock {usage_of(c)}\n      {c.summary}" for c in COMMANDS)

"""User-facing text shared by every face: help, hints, short phrases."""

from __future__ import annotations

from bot.core.vocab import DEFAULT_TRACKS, InterviewType, Level, RolePreference

AVAILABILITY_EXAMPLE = "weekdays 18:00-21:00, sat 10-14"

HELP_TOPICS: dict[str, str] = {
    "profile": "`/mock profile` — set your time zone, role track, level, interview types and languages.",
    "availability": (
        f"`/mock availability` — when you can practise each week, in your own time, e.g. "
        f"`{AVAILABILITY_EXAMPLE}`. Add blackout dates with `blackouts: 2026-12-24..2026-12-31`."
    ),
    "schedule": (
        "`/mock schedule` — ask for a session: an interview type, a role "
        "(swap: you interview each other, the default; or only candidate; or only interviewer) "
        "and how many days ahead to look (default 7)."
    ),
    "now": "`/mock now` — ready within 15 minutes? Join the live queue and get paired at once.",
    "cancel": "`/mock cancel` — withdraw an open request or cancel a session before it starts.",
    "upcoming": "`/mock upcoming` — your open requests and booked sessions, in your time.",
    "feedback": "`/mock feedback` — feedback forms you still owe.",
    "progress": "`/mock progress` — your scores per rubric dimension over time, with a chart.",
    "history": "`/mock history` — past sessions, prompts and verdicts.",
    "digest": (
        "`/mock digest` — your weekly digest: `off`, `on`, `nudge` (a short note in quiet weeks) "
        "or `quiet` (nothing in quiet weeks); alone, shows your last seven days."
    ),
    "export": "`/mock export` — all your data as JSON.",
    "forget-me": "`/mock forget-me` — delete all your data (asks to confirm).",
}


def help_text() -> str:
    lines = [
        "**PeerLoop** pairs you with a peer for mock interviews, runs the session and "
        "collects feedback. Start with your profile and availability, then schedule.",
        "",
    ]
    lines += [f"- {line}" for line in HELP_TOPICS.values()]
    return "\n".join(lines)


def accepted_levels() -> str:
    return ", ".join(level.value for level in Level)


def accepted_types() -> str:
    return ", ".join(t.value for t in InterviewType)


def accepted_roles() -> str:
    return ", ".join(r.value for r in RolePreference)


def accepted_tracks(extra: dict[str, str] | None = None) -> str:
    return ", ".join({**DEFAULT_TRACKS, **(extra or {})})

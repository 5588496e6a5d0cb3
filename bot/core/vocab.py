"""The fixed vocabularies of PeerLoop: tracks, levels, interview types, roles.

Every face offers these as choices or autocomplete; every parser accepts the
value, the label, or a documented alias, case-insensitively.
"""

from __future__ import annotations

from enum import Enum, StrEnum
from typing import TypeVar

from bot.core.errors import InvalidInput
from bot.core.messages import quote


class Level(StrEnum):
    """A member's seniority: junior, mid-level, senior or staff+."""

    JUNIOR = "junior"
    MID = "mid"
    SENIOR = "senior"
    STAFF = "staff+"

    @property
    def rank(self) -> int:
        """Junior 0 up to staff+ 3, for comparing levels."""
        return _LEVEL_RANKS[self]

    @property
    def label(self) -> str:
        """The level as members read it."""
        return _LEVEL_LABELS[self]


_LEVEL_LABELS = {
    Level.JUNIOR: "Junior",
    Level.MID: "Mid-level",
    Level.SENIOR: "Senior",
    Level.STAFF: "Staff+",
}
#: Junior 0 ... staff+ 3, in declaration order (looked up on every pairing score).
_LEVEL_RANKS = {level: k for k, level in enumerate(Level)}


class InterviewType(StrEnum):
    """The kinds of mock interview PeerLoop runs, each with its own rubric."""

    CODING = "coding"
    SYSTEM_DESIGN = "system-design"
    BEHAVIORAL = "behavioral"
    ML_SYSTEM_DESIGN = "ml-system-design"
    ML_FUNDAMENTALS = "ml-fundamentals"
    STATS_PRODUCT = "stats-product"
    SQL_DATA_MODELLING = "sql-data-modelling"
    SRE_TROUBLESHOOTING = "sre-troubleshooting"

    @property
    def label(self) -> str:
        """The interview type as members read it."""
        return _TYPE_LABELS[self]


_TYPE_LABELS = {
    InterviewType.CODING: "Coding",
    InterviewType.SYSTEM_DESIGN: "System design",
    InterviewType.BEHAVIORAL: "Behavioral",
    InterviewType.ML_SYSTEM_DESIGN: "ML system design",
    InterviewType.ML_FUNDAMENTALS: "ML fundamentals",
    InterviewType.STATS_PRODUCT: "Statistics and product sense",
    InterviewType.SQL_DATA_MODELLING: "SQL and data modelling",
    InterviewType.SRE_TROUBLESHOOTING: "SRE troubleshooting",
}


class RolePreference(StrEnum):
    """Who does what in a session. ``swap`` (the default): each interviews the other."""

    SWAP = "swap"
    CANDIDATE = "candidate"
    INTERVIEWER = "interviewer"

    @property
    def label(self) -> str:
        """The role preference as members read it."""
        return {
            RolePreference.SWAP: "Swap (each interviews the other)",
            RolePreference.CANDIDATE: "Only candidate",
            RolePreference.INTERVIEWER: "Only interviewer",
        }[self]


#: Built-in role tracks. A community may add its own (stored as plain strings).
DEFAULT_TRACKS: dict[str, str] = {
    "backend": "Backend",
    "frontend": "Frontend",
    "full-stack": "Full-stack",
    "mobile": "Mobile",
    "ml": "Machine learning",
    "data-science": "Data science",
    "data-engineering": "Data engineering",
    "sre": "SRE / DevOps",
    "security": "Security",
    "engineering-management": "Engineering management",
}

#: Tracks that are close enough to count as "neighbouring" for matching.
NEIGHBOUR_TRACKS: dict[str, frozenset[str]] = {
    "backend": frozenset({"full-stack", "sre", "data-engineering"}),
    "frontend": frozenset({"full-stack", "mobile"}),
    "full-stack": frozenset({"backend", "frontend"}),
    "mobile": frozenset({"frontend"}),
    "ml": frozenset({"data-science", "data-engineering"}),
    "data-science": frozenset({"ml", "data-engineering"}),
    "data-engineering": frozenset({"backend", "data-science", "ml"}),
    "sre": frozenset({"backend", "security"}),
    "security": frozenset({"sre", "backend"}),
    "engineering-management": frozenset(),
}

_ALIASES: dict[str, str] = {
    # levels
    "jr": "junior",
    "entry": "junior",
    "intern": "junior",
    "new-grad": "junior",
    "mid-level": "mid",
    "intermediate": "mid",
    "sr": "senior",
    "staff": "staff+",
    "principal": "staff+",
    "staff-plus": "staff+",
    # types
    "system design": "system-design",
    "design": "system-design",
    "sysdesign": "system-design",
    "behavioural": "behavioral",
    "ml system design": "ml-system-design",
    "ml fundamentals": "ml-fundamentals",
    "stats": "stats-product",
    "statistics": "stats-product",
    "product-sense": "stats-product",
    "sql": "sql-data-modelling",
    "data-modelling": "sql-data-modelling",
    "data-modeling": "sql-data-modelling",
    "sql-data-modeling": "sql-data-modelling",
    "sre": "sre-troubleshooting",
    "troubleshooting": "sre-troubleshooting",
    # roles
    "both": "swap",
    "candidate-only": "candidate",
    "interviewer-only": "interviewer",
}

_TRACK_ALIASES: dict[str, str] = {
    "fullstack": "full-stack",
    "ios": "mobile",
    "android": "mobile",
    "machine-learning": "ml",
    "ds": "data-science",
    "de": "data-engineering",
    "devops": "sre",
    "sre/devops": "sre",
    "em": "engineering-management",
    "management": "engineering-management",
}

E = TypeVar("E", bound=Enum)


def _norm(text: str) -> str:
    return text.strip().lower().replace("_", "-")


def parse_enum(kind: type[E], text: str, *, what: str, field: str) -> E:
    """Parse ``text`` as a member of ``kind``, accepting values, labels and aliases."""
    key = _norm(text)
    candidates = [
        key,
        key.replace(" ", "-"),
        _ALIASES.get(key, ""),
        _ALIASES.get(key.replace("-", " "), ""),
    ]
    for member in kind:
        label = str(getattr(member, "label", member.value)).lower()
        for cand in candidates:
            if cand and (cand == member.value or cand == label or cand.replace("-", " ") == label):
                return member
    accepted = ", ".join(str(m.value) for m in kind)
    raise InvalidInput(field, f"“{quote(text.strip())}” is not a known {what}.", accepted=accepted)


def parse_level(text: str) -> Level:
    """A level from its value, label or an alias, case-insensitively; :class:`InvalidInput`
    otherwise."""
    return parse_enum(Level, text, what="level", field="level")


#: A text that opens with a level's name before a colon names it within this many characters.
_LEVEL_HEAD = 20


def level_note(level: Level, text: str) -> str:
    """``text`` about ``level`` under the level's label, named once: a text that already opens
    with a name of that same level ("Junior: …", "Mid: …") is not labelled a second time."""
    head, colon, rest = text.partition(":")
    if colon and len(head) <= _LEVEL_HEAD:
        try:
            named = parse_level(head)
        except InvalidInput:
            named = None
        if named is level:
            text = rest.strip()
    return f"{level.label}: {text}"


def parse_interview_type(text: str) -> InterviewType:
    """An interview type from its value, label or an alias, case-insensitively;
    :class:`InvalidInput` otherwise."""
    return parse_enum(InterviewType, text, what="interview type", field="interview_type")


def parse_track(text: str, extra_tracks: dict[str, str] | None = None) -> str:
    """Parse a role track against the built-in set plus a community's own tracks."""
    tracks = {**DEFAULT_TRACKS, **(extra_tracks or {})}
    key = _norm(text).replace(" ", "-")
    key = _TRACK_ALIASES.get(key, key)
    for value, label in tracks.items():
        if key == value or key == _norm(label).replace(" ", "-"):
            return value
    raise InvalidInput(
        "track", f"“{quote(text.strip())}” is not a known role track.", accepted=", ".join(tracks)
    )


#: Programming languages the profile offers as choices, as they are shown.
LANGUAGES = (
    "Python",
    "Java",
    "JavaScript",
    "TypeScript",
    "Go",
    "C++",
    "C#",
    "Rust",
    "Kotlin",
    "Swift",
    "Ruby",
    "PHP",
    "Scala",
    "SQL",
    "C",
)
_LANGUAGE_ALIASES = {
    "py": "Python",
    "python3": "Python",
    "js": "JavaScript",
    "node": "JavaScript",
    "nodejs": "JavaScript",
    "node.js": "JavaScript",
    "ts": "TypeScript",
    "golang": "Go",
    "cpp": "C++",
    "cplusplus": "C++",
    "csharp": "C#",
    "c sharp": "C#",
    "rs": "Rust",
    "kt": "Kotlin",
    "rb": "Ruby",
}
_LANGUAGE_NAMES = {name.lower(): name for name in LANGUAGES} | _LANGUAGE_ALIASES


def canonical_language(text: str) -> str:
    """One spelling per known language, whatever case or common alias was typed (``py``,
    ``golang``, ``cpp`` …), so two members who wrote it differently still share it when
    matching needs a common language. Other names are kept as typed."""
    name = " ".join(text.split())
    return _LANGUAGE_NAMES.get(name.lower(), name)

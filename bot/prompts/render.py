"""Plain-text renderers for prompts, interviewer guides and rubrics.

Used by the CLI and the terminal console; the chat faces use the same pages as embed
descriptions or section blocks. Every page is at most ``max_chars`` characters (default
4,000: under Discord's 4,096 for an embed description; pass 3,000 for a Slack section).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.core.bank import VERDICT_LABELS, VERDICTS, Prompt, Rubric
from bot.core.guide_extras import interviewer_extras
from bot.core.vocab import Level, level_note

__all__ = [
    "FIELD_LIMIT",
    "HEADER_LIMIT",
    "PAGE_LIMIT",
    "SLACK_SECTION_LIMIT",
    "STATEMENT_LIMIT",
    "limit_problems",
    "paginate",
    "render_guide",
    "render_rubric",
    "render_statement",
]

#: One page of text: a Discord embed description holds 4,096; we keep a margin.
PAGE_LIMIT = 4000
#: A Slack section block's text.
SLACK_SECTION_LIMIT = 3000
#: One Discord embed field value.
FIELD_LIMIT = 1024
#: A Slack header block (and comfortably a Discord embed title, 256).
HEADER_LIMIT = 150
#: The candidate's statement on its own.
STATEMENT_LIMIT = 3000
#: The smallest page the paginator accepts.
MIN_PAGE = 200

Section = tuple[str, Sequence[str]]


def _levels(levels: Iterable[Level]) -> str:
    return ", ".join(lv.label for lv in sorted(levels, key=lambda lv: lv.rank))


def _split_long(text: str, limit: int) -> list[str]:
    """Split one over-long text at spaces (or anywhere, for a very long word)."""
    chunks: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind(" ", 0, limit + 1)
        if cut <= limit // 2:
            cut = limit
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        chunks.append(rest)
    return chunks


def paginate(intro: str, sections: Sequence[Section], *, max_chars: int = PAGE_LIMIT) -> list[str]:
    """Pack an intro and titled sections of entries into pages of at most ``max_chars``.

    A section that does not fit continues on the next page under "<title> (continued)";
    an entry longer than a page is split at spaces.
    """
    if max_chars < MIN_PAGE:
        raise ValueError(f"max_chars must be at least {MIN_PAGE}")
    pages: list[str] = []
    current = ""

    def close() -> None:
        nonlocal current
        if current.strip():
            pages.append(current.rstrip())
        current = ""

    def add(block: str) -> bool:
        nonlocal current
        candidate = f"{current}\n{block}" if current else block
        if len(candidate) <= max_chars:
            current = candidate
            return True
        return False

    for piece in _split_long(intro.strip(), max_chars) if intro.strip() else []:
        if not add(piece):
            close()
            add(piece)
    for full_title, entries in sections:
        if not entries:
            continue
        title = full_title[: max_chars // 4]
        heading = f"\n{title}" if current else title
        first = True
        for entry in entries:
            room = max_chars - len(title) - len(" (continued)") - 2
            for chunk in _split_long(entry, room):
                block = f"{heading}\n{chunk}" if first else chunk
                if add(block):
                    first = False
                    continue
                close()
                block = f"{title}{' (continued)' if not first else ''}\n{chunk}"
                add(block)
                first = False
    close()
    return pages or [""]


def _bullets(items: Iterable[str], mark: str = "•") -> list[str]:
    return [f"{mark} {item}" for item in items]


def render_statement(prompt: Prompt) -> str:
    """What the candidate sees: title, statement and (for coding) the worked examples."""
    head = f"{prompt.title}\n{prompt.type.label} · {prompt.duration_minutes} minutes"
    parts = [head, prompt.statement]
    if prompt.coding is not None:
        for number, example in enumerate(prompt.coding.examples, start=1):
            lines = [f"Example {number}", f"Input: {example.input}", f"Output: {example.output}"]
            if example.explanation:
                lines.append(f"Why: {example.explanation}")
            parts.append("\n".join(lines))
    return "\n\n".join(parts)


def _dimension_names(prompt: Prompt, rubric: Rubric) -> list[str]:
    names: list[str] = []
    for dim_id in prompt.guide.exercises:
        try:
            names.append(rubric.dimension(dim_id).name)
        except KeyError:
            names.append(dim_id.replace("-", " "))
    return names


def _and(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def render_guide(
    prompt: Prompt,
    rubric: Rubric,
    reason: str | None = None,
    *,
    level: Level | None = None,
    max_chars: int = PAGE_LIMIT,
) -> list[str]:
    """The interviewer's guide as pages. With ``level``, only that level's follow-ups and bar."""
    guide = prompt.guide
    intro_lines = [
        f"Interviewer guide: {prompt.title}",
        f"{prompt.type.label} · {_levels(prompt.levels)} · {prompt.duration_minutes} minutes",
    ]
    if reason:
        intro_lines.append(reason)
    intro_lines.append(f"Exercises most: {_and(_dimension_names(prompt, rubric))}.")
    intro_lines.append("For you only: the candidate sees the statement, never this guide.")

    sections: list[Section] = []
    elapsed = 0
    plan: list[str] = []
    for block in guide.time_plan:
        plan.append(f"{elapsed}–{elapsed + block.minutes} min: {block.activity}")
        elapsed += block.minutes
    sections.append(("Time plan", plan))
    top, extras = interviewer_extras(prompt)
    sections += [(title, _bullets(items)) for title, items in top]
    sections.append(
        ("If they ask", [f"Q: {c.question}\nA: {c.answer}" for c in guide.clarifications])
    )
    sections.append(
        (
            "Hints, one at a time, only when they are stuck",
            [f"{n}. {hint}" for n, hint in enumerate(guide.hints, start=1)],
        )
    )
    if prompt.coding is not None:
        sections.append(
            (
                "Approaches, naive first",
                [
                    f"• {a.name} ({a.time} time, {a.space} space): {a.description}"
                    for a in prompt.coding.approaches
                ],
            )
        )
        sections.append(("Test cases to try", _bullets(prompt.coding.test_cases)))
    if prompt.design is not None:
        sections.append(("Scale to put on the table", _bullets(prompt.design.scale)))
        sections.append(("Deep dives to pick from", _bullets(prompt.design.deep_dives)))
    if prompt.behavioral is not None:
        sections.append(("Probes", _bullets(prompt.behavioral.probes)))
        sections.append(
            (
                "STAR probes (situation, task, action, result)",
                _bullets(prompt.behavioral.star_probes),
            )
        )
    sections += [(title, _bullets(items)) for title, items in extras]
    follow_levels = (
        [level]
        if level is not None and level in guide.follow_ups
        else [lv for lv in Level if lv in guide.follow_ups]
    )
    follow: list[str] = []
    for lv in follow_levels:
        follow += [f"• {level_note(lv, item)}" for item in guide.follow_ups[lv]]
    sections.append(("Follow-ups", follow))
    sections.append(("A strong answer", _bullets(guide.strong_answer)))
    diff_levels = (
        [level]
        if level is not None and level in guide.level_differences
        else [lv for lv in Level if lv in guide.level_differences]
    )
    sections.append(
        (
            "What changes with the level",
            [f"• {level_note(lv, guide.level_differences[lv])}" for lv in diff_levels],
        )
    )
    sections.append(("Common mistakes", _bullets(guide.common_mistakes)))
    exercised = set(guide.exercises)
    scoring: list[str] = []
    for dim in rubric.dimensions:
        star = " (this prompt)" if dim.id in exercised else ""
        line = f"• {dim.name}{star}: {dim.description}"
        if level is not None:
            line += f"\n  Expected at {level.label}: {dim.expectations[level]}"
        scoring.append(line)
    sections.append((f"Score 1 to 4 on each ({rubric.title})", scoring))
    return paginate("\n".join(intro_lines), sections, max_chars=max_chars)


def render_rubric(
    rubric: Rubric, level: Level | None = None, *, max_chars: int = PAGE_LIMIT
) -> list[str]:
    """The rubric as pages: each dimension's anchors and expectations, then the verdicts."""
    intro = [rubric.title, "Score each dimension from 1 to 4 on what you saw and heard."]
    if level is not None:
        intro.append(f"Calibrated for a {level.label.lower()} candidate.")
    sections: list[Section] = []
    for dim in rubric.dimensions:
        entries = [dim.description]
        entries += [f"{score}: {dim.anchors[score]}" for score in sorted(dim.anchors)]
        levels = [level] if level is not None else list(Level)
        entries += [f"Expected at {lv.label}: {dim.expectations[lv]}" for lv in levels]
        sections.append((f"{dim.name} ({dim.id})", entries))
    verdict_title = "Overall verdict" + (
        f" for a {level.label.lower()} candidate" if level is not None else " at the target level"
    )
    sections.append(
        (verdict_title, [f"{VERDICT_LABELS[v]}: {rubric.verdict_guidance[v]}" for v in VERDICTS])
    )
    return paginate("\n".join(intro), sections, max_chars=max_chars)


def limit_problems(prompt: Prompt) -> list[tuple[tuple[str | int, ...], str]]:
    """Platform limits beyond the schema's own: (path inside the prompt, problem)."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if len(prompt.title) > HEADER_LIMIT:
        problems.append(
            (("title",), f"title is {len(prompt.title)} characters; a header holds {HEADER_LIMIT}")
        )
    if len(prompt.statement) > STATEMENT_LIMIT:
        problems.append(
            (
                ("statement",),
                f"statement is {len(prompt.statement):,} characters; "
                f"the limit is {STATEMENT_LIMIT:,}",
            )
        )
    rendered = render_statement(prompt)
    if len(rendered) > PAGE_LIMIT:
        where: tuple[str | int, ...] = ("coding", "examples") if prompt.coding else ("statement",)
        problems.append(
            (
                where,
                f"the statement with its title and examples is {len(rendered):,} "
                f"characters; one message holds {PAGE_LIMIT:,}",
            )
        )
    guide = prompt.guide
    items: list[tuple[tuple[str | int, ...], str]] = [
        (("guide", "hints", i), h) for i, h in enumerate(guide.hints)
    ]
    items += [(("guide", "strong_answer", i), s) for i, s in enumerate(guide.strong_answer)]
    items += [(("guide", "common_mistakes", i), s) for i, s in enumerate(guide.common_mistakes)]
    for i, clar in enumerate(guide.clarifications):
        items += [
            (("guide", "clarifications", i, "question"), clar.question),
            (("guide", "clarifications", i, "answer"), clar.answer),
        ]
    for loc, text in items:
        if len(text) > FIELD_LIMIT:
            problems.append(
                (loc, f"text is {len(text):,} characters; one field holds {FIELD_LIMIT:,}")
            )
    return problems

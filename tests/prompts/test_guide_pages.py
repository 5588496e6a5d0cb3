"""The interviewer guide as delivered: whole, in pages that fit every platform."""

from __future__ import annotations

import re

import pytest

from bot.core.services.session_text import interviewer_guide_pages
from bot.core.vocab import Level, level_note
from bot.prompts import load_bundled
from bot.prompts.render import render_guide

#: Discord's limit for one embed (title, description and fields together) and its field count.
EMBED_TOTAL = 6000
EMBED_FIELDS = 25


@pytest.mark.parametrize("level", [None, *Level])
def test_every_bundled_guide_arrives_whole_in_pages_that_fit(level: Level | None) -> None:
    bank = load_bundled()
    for prompt in bank.prompts():
        rubric = bank.rubric(prompt.rubric)
        pages = interviewer_guide_pages(
            prompt, rubric, level, "This prompt exercises testing.", session_id="s" * 32, part=1
        )
        for page in pages:
            size = (
                len(page.title or "")
                + len(page.text)
                + sum(len(f.name) + len(f.value) for f in page.fields)
            )
            assert size <= EMBED_TOTAL and len(page.fields) <= EMBED_FIELDS, (prompt.id, page.title)
            assert page.ephemeral
        whole = "\n".join(f"{f.name}\n{f.value}" for page in pages for f in page.fields)
        expected = [
            *prompt.guide.strong_answer,
            *prompt.guide.hints,
            *prompt.guide.common_mistakes,
            *(a for d in rubric.dimensions for a in d.anchors.values()),
            *rubric.verdict_guidance.values(),
            *(prompt.coding.test_cases if prompt.coding else ()),
            *(prompt.behavioral.star_probes if prompt.behavioral else ()),
            *(prompt.design.deep_dives if prompt.design else ()),
        ]
        missing = [text for text in expected if text not in whole]
        assert not missing, (prompt.id, missing[:2])
        if len(pages) > 1:  # each page links the others
            assert all(len(p.buttons) == min(5, len(pages) - 1) for p in pages)


#: A level's label followed by a name of a level and a colon: the label said twice.
DOUBLED_LEVEL = re.compile(
    r"\b(?:Junior|Mid-level|Senior|Staff\+): (?:junior|mid(?:-level)?|senior|staff\+?)\s*:",
    re.IGNORECASE,
)


def test_level_note_names_the_level_once() -> None:
    assert level_note(Level.JUNIOR, "Junior: not a listed level.") == "Junior: not a listed level."
    assert (
        level_note(Level.MID, "Mid: goes straight to the window.")
        == "Mid-level: goes straight to the window."
    )
    assert level_note(Level.STAFF, "staff+ : owns the roadmap.") == "Staff+: owns the roadmap."
    assert level_note(Level.SENIOR, "Proves the greedy.") == "Senior: Proves the greedy."
    # Another level's name, or a colon that is not a level's, is the text's own.
    assert (
        level_note(Level.JUNIOR, "Senior: not expected here.")
        == "Junior: Senior: not expected here."
    )
    assert level_note(Level.MID, "She says: no.") == "Mid-level: She says: no."


@pytest.mark.parametrize("level", [None, *Level])
def test_no_guide_names_a_level_twice(level: Level | None) -> None:
    """Many bundled texts open with their level's name ("Junior: …"): every renderer says it once."""
    bank = load_bundled()
    for prompt in bank.prompts():
        rubric = bank.rubric(prompt.rubric)
        chat = interviewer_guide_pages(prompt, rubric, level, None)
        text = "\n".join(f"{f.name}\n{f.value}" for page in chat for f in page.fields)
        text += "\n".join(render_guide(prompt, rubric, level=level))
        assert not DOUBLED_LEVEL.search(text), (prompt.id, DOUBLED_LEVEL.search(text))

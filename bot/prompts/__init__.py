"""The question bank: bundled prompts and rubrics, community packs, selection and rendering."""

from bot.prompts.loader import (
    BankError,
    Pack,
    PackError,
    PackRejected,
    PromptBank,
    check_bank_file,
    check_pack,
    load_bundled,
    load_pack,
)
from bot.prompts.render import render_guide, render_rubric, render_statement

__all__ = [
    "BankError",
    "Pack",
    "PackError",
    "PackRejected",
    "PromptBank",
    "check_bank_file",
    "check_pack",
    "load_bundled",
    "load_pack",
    "render_guide",
    "render_rubric",
    "render_statement",
]

"""The question bank: bundled prompts and rubrics, community packs, selection and rendering."""

from bot.prompts.bundled import check_bank_file, load_bundled
from bot.prompts.loader import check_pack, load_pack
from bot.prompts.pack import Pack
from bot.prompts.problems import BankError, PackError, PackRejected
from bot.prompts.prompt_bank import PromptBank
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

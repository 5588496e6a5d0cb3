"""``python -m bot.prompts check FILE | list [--type T] | show ID [--level L]``."""

from bot.__main__ import quiet_exit
from bot.prompts.cli import main

raise SystemExit(quiet_exit(main))

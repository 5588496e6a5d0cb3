"""``python -m bot.prompts check FILE | list [--type T] | show ID [--level L]``."""

from bot.prompts.cli import main

raise SystemExit(main())

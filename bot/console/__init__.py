"""The console face: ``peerloop console`` and the scripted demo drive the core from a terminal.

:mod:`bot.console.face` reads lines and runs them; :mod:`bot.console.chat` renders replies as
text (its :class:`ConsoleChat` is the terminal's chat port); :mod:`bot.console.forms` fills a
form one field at a time.
"""

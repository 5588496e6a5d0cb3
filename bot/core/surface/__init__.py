"""PeerLoop's surface, declared once: every command with its typed options, help and form.

- :mod:`bot.core.surface.options`: how an option is declared (a field of a frozen
  dataclass) and parsed into its type, once;
- :mod:`bot.core.surface.commands`: the declarations of ``/mock``, ``/mockadmin`` and
  ``/mockadmin prompts``, and the help texts built from them;
- :mod:`bot.core.surface.parsing`: text faces' command lines, parsed from the declarations.

The router (:mod:`bot.core.commands`) binds a handler to each declaration; the faces build
their command trees and parsers from the same declarations.
"""

"""Languages typed differently are one language to the profile and to matching."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidInput
from bot.core.services.profiles import parse_languages
from bot.core.vocab import canonical_language


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("py, GOLANG ,cpp", ("Python", "Go", "C++")),
        ("python, Py, PYTHON", ("Python",)),
        ("js; ts; node.js", ("JavaScript", "TypeScript")),
        ("csharp,c sharp,  C# ", ("C#",)),
        ("Elixir, elixir", ("Elixir", "elixir")),
        ("", ()),
    ],
)
def test_known_languages_are_spelled_one_way(typed: str, stored: tuple[str, ...]) -> None:
    assert parse_languages(typed) == stored


def test_other_names_are_kept_as_typed_with_spaces_collapsed() -> None:
    assert canonical_language("  Objective   C ") == "Objective C"


def test_too_many_or_too_long_names_are_refused_naming_the_limit() -> None:
    with pytest.raises(InvalidInput, match="At most 10"):
        parse_languages(",".join(f"lang{i}" for i in range(11)))
    with pytest.raises(InvalidInput, match="at most 30"):
        parse_languages("x" * 31)

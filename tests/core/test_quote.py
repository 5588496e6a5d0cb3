"""A member's text repeated in a reply cannot change how the reply renders."""

from __future__ import annotations

from bot.core.messages import MAX_QUOTE, quote


def test_bidirectional_controls_are_dropped() -> None:
    # "evil‮gpj.exe" would read as "evilexe.jpg" in a client honouring the override.
    typed = "evil\u202egpj.exe \u2066x\u2069 \u202a\u202b\u202c\u202d"
    out = quote(typed)
    assert out == "evilgpj.exe x"
    assert not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in out)


def test_markup_time_tokens_and_lines_are_neutralised_and_length_capped() -> None:
    out = quote("a `code`\nline {t:0:F} " + "x" * 500)
    assert "`" not in out and "\n" not in out and "{t:" not in out
    assert len(out) <= MAX_QUOTE and out.endswith("…")

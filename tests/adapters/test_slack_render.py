"""Slack rendering of the neutral text: mentions only for the members a message addresses,
everything a member wrote escaped, in the blocks and in the notification text."""

from __future__ import annotations

from bot.adapters.slack_render import mrkdwn, render_message
from bot.core.messages import OutboundMessage


def test_only_addressed_members_become_mentions() -> None:
    text = "{@UALICE|Alice} and {@UBOB|Bob}, you're paired. Ask {@U999|the boss}; {@alice|alice} is local."
    out = mrkdwn(text, ("UALICE", "UBOB", "alice"))
    assert out == "<@UALICE> and <@UBOB>, you're paired. Ask the boss; alice is local."


def test_names_inside_tokens_and_around_them_are_escaped() -> None:
    out = mrkdwn("{@U1|<!channel> & co} says **<@U2>** at {t:0:t}", ())
    assert out == "&lt;!channel&gt; &amp; co says *&lt;@U2&gt;* at <!date^0^{time}|00:00 UTC>"
    assert mrkdwn("a\x000\x00b {@U1|x}", ("U1",)) == "a0b <@U1>"  # no smuggled placeholders


def test_the_notification_text_is_escaped_and_names_members() -> None:
    message = OutboundMessage(
        title="Feedback from <!here>", text="{@U1|Ann} & <@U2>", mentions=("U1",)
    )
    rendered = render_message(message)
    assert rendered["text"] == "Feedback from &lt;!here&gt; — Ann &amp; &lt;@U2&gt;"
    assert (
        rendered["blocks"][0]["text"]["text"] == "Feedback from <!here>"
    )  # plain text: shown as it is
    assert rendered["blocks"][1]["text"]["text"] == "<@U1> &amp; &lt;@U2&gt;"

from __future__ import annotations

import io
import re
from pathlib import Path

import yaml

from bot.adapters.slack_manifest import manifest_text, print_manifest


def test_manifest_declares_what_the_face_uses() -> None:
    data = yaml.safe_load(manifest_text())
    assert [c["command"] for c in data["features"]["slash_commands"]] == ["/mock"]
    assert set(data["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "im:write",
        "mpim:write",
        "users:read",
        "files:write",
        "files:read",
        "usergroups:read",
    }
    assert data["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
    ]
    assert data["oauth_config"]["redirect_urls"] == [
        "https://peerloop.example.com/slack/oauth_redirect"
    ]
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is True


def test_manifest_for_http_mode() -> None:
    out = io.StringIO()
    print_manifest("https://bot.example.org/", out)
    data = yaml.safe_load(out.getvalue())
    assert data["settings"]["socket_mode_enabled"] is False
    assert (
        data["settings"]["interactivity"]["request_url"] == "https://bot.example.org/slack/events"
    )
    assert data["oauth_config"]["redirect_urls"] == ["https://bot.example.org/slack/oauth_redirect"]


def test_the_docs_list_exactly_the_manifests_bot_scopes() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "slack.md").read_text(encoding="utf-8")
    found = re.search(r"bot scopes (.+?);", doc, re.DOTALL)
    assert found, "docs/slack.md lists the bot scopes as “bot scopes `a`, `b`, …;”"
    listed = re.findall(r"`([^`]+)`", found.group(1))
    assert len(listed) == len(set(listed))
    assert set(listed) == set(yaml.safe_load(manifest_text())["oauth_config"]["scopes"]["bot"])

"""Sentry error reporting: off without SENTRY_DSN, a clear line without the extra, and no
member text, token or user data in what would be sent."""

from __future__ import annotations

import builtins
import json
import logging
from typing import Any

import pytest

from bot.ops.sentry import init_sentry, scrub_event
from bot.settings import Settings

MEMBER_TEXT = "I froze on the system design question about my ex-employer"
TOKEN = "xoxb-123456789012-abcdefghijklmnop"
DISCORD_TOKEN = "MTA1.fake-discord-token.secret"


def synthetic_event() -> dict[str, Any]:
    return {
        "event_id": "abc123",
        "level": "error",
        "platform": "python",
        "message": f"member said {MEMBER_TEXT}",
        "logentry": {
            "message": "feedback %s failed for %s",
            "params": [MEMBER_TEXT, TOKEN],
            "formatted": f"feedback {MEMBER_TEXT} failed for {TOKEN}",
        },
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "module": "builtins",
                    "value": f"bad answer: {MEMBER_TEXT} {TOKEN}",
                    "mechanism": {
                        "type": "logging",
                        "handled": True,
                        "data": {"note": MEMBER_TEXT},
                    },
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "submit",
                                "module": "bot.core.services.feedback",
                                "filename": "bot/core/services/feedback.py",
                                "abs_path": "/app/bot/core/services/feedback.py",
                                "lineno": 120,
                                "in_app": True,
                                "context_line": f"    raise ValueError({MEMBER_TEXT!r})",
                                "pre_context": [TOKEN],
                                "post_context": [MEMBER_TEXT],
                                "vars": {"text": MEMBER_TEXT, "token": TOKEN},
                            }
                        ]
                    },
                }
            ]
        },
        "threads": {
            "values": [
                {
                    "id": 1,
                    "name": "MainThread",
                    "crashed": True,
                    "stacktrace": {
                        "frames": [{"function": "run", "lineno": 3, "vars": {"t": DISCORD_TOKEN}}]
                    },
                }
            ]
        },
        "request": {
            "method": "POST",
            "url": "https://peerloop.example/slack/events?token=" + TOKEN,
            "data": {"text": MEMBER_TEXT},
            "headers": {"Authorization": f"Bearer {TOKEN}"},
            "cookies": {"s": TOKEN},
            "query_string": f"token={TOKEN}",
        },
        "user": {
            "id": "U123",
            "username": "alice",
            "email": "alice@example.com",
            "ip_address": "10.0.0.1",
        },
        "extra": {"answer": MEMBER_TEXT},
        "contexts": {"runtime": {"name": "CPython"}, "member": {"note": MEMBER_TEXT}},
        "breadcrumbs": {
            "values": [
                {
                    "type": "default",
                    "category": "peerloop",
                    "level": "info",
                    "timestamp": "2026-12-04T10:00:00Z",
                    "message": f"posted {MEMBER_TEXT}",
                    "data": {"token": TOKEN},
                },
                {
                    "type": "http",
                    "category": "httplib",
                    "message": TOKEN,
                    "data": {"url": f"https://slack.com/api?t={TOKEN}"},
                },
            ]
        },
        "tags": {"face": "slack"},
    }


def test_scrubbed_event_keeps_types_and_frames_and_nothing_a_member_wrote() -> None:
    clean = scrub_event(synthetic_event(), {})
    dumped = json.dumps(clean)
    for secret in (MEMBER_TEXT, "froze", TOKEN, "xoxb", DISCORD_TOKEN, "alice", "10.0.0.1", "U123"):
        assert secret not in dumped
    (exc,) = clean["exception"]["values"]
    assert exc["type"] == "ValueError" and "value" not in exc
    assert exc["stacktrace"]["frames"] == [
        {
            "function": "submit",
            "module": "bot.core.services.feedback",
            "filename": "bot/core/services/feedback.py",
            "abs_path": "/app/bot/core/services/feedback.py",
            "lineno": 120,
            "in_app": True,
        }
    ]
    assert clean["logentry"] == {"message": "feedback %s failed for %s"}
    assert clean["request"] == {"method": "POST"}
    assert "user" not in clean and "extra" not in clean
    assert clean["contexts"] == {"runtime": {"name": "CPython"}}
    assert [c["category"] for c in clean["breadcrumbs"]["values"]] == ["peerloop", "httplib"]
    assert clean["tags"] == {"face": "slack"}


def test_off_without_a_dsn() -> None:
    assert init_sentry(Settings(_env_file=None)) is False  # type: ignore[call-arg]


def test_missing_extra_says_so_once(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real_import = builtins.__import__

    def no_sentry(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "sentry_sdk" or name.startswith("sentry_sdk."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sentry)
    settings = Settings(_env_file=None, sentry_dsn="https://key@sentry.example/1")  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING, logger="peerloop"):
        assert init_sentry(settings) is False
    assert [
        r.getMessage() for r in caplog.records if "sentry extra is not installed" in r.getMessage()
    ]


def test_a_real_error_reaches_the_transport_scrubbed() -> None:
    sentry_sdk = pytest.importorskip("sentry_sdk")
    sent: list[dict[str, Any]] = []

    class Capture(sentry_sdk.transport.Transport):
        def capture_envelope(self, envelope: Any) -> None:
            for item in envelope.items:
                if item.type == "event":
                    sent.append(item.payload.json)

    settings = Settings(_env_file=None, sentry_dsn="https://key@sentry.example/1")  # type: ignore[call-arg]
    try:
        assert init_sentry(settings, transport=Capture, default_integrations=False)
        sentry_sdk.add_breadcrumb(
            category="peerloop", message=f"member wrote {MEMBER_TEXT}", data={"t": TOKEN}
        )
        sentry_sdk.set_user({"id": "U123", "username": "alice"})
        try:
            token = TOKEN  # noqa: F841 (a local variable that must not be sent)
            raise RuntimeError(f"could not post {MEMBER_TEXT}")
        except RuntimeError as exc:
            sentry_sdk.capture_exception(exc)
        sentry_sdk.flush(2)
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # back to no client
    (event,) = sent
    dumped = json.dumps(event)
    assert MEMBER_TEXT not in dumped and TOKEN not in dumped and "alice" not in dumped
    (exc_info,) = event["exception"]["values"]
    assert exc_info["type"] == "RuntimeError"
    frame = exc_info["stacktrace"]["frames"][-1]
    assert (
        frame["function"] == "test_a_real_error_reaches_the_transport_scrubbed"
        and frame["lineno"] > 0
    )

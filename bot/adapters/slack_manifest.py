"""The Slack app manifest (``slack/manifest.yml``), for ``peerloop slack manifest``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

#: ``slack_manifest.yml`` links to ``slack/manifest.yml`` in a checkout; a built wheel holds a copy,
#: so an installed PeerLoop (the container image) has the manifest too.
MANIFEST_PATH = Path(__file__).with_name("slack_manifest.yml")


def manifest_text(public_url: str | None = None) -> str:
    """The manifest; with ``public_url`` (e.g. https://peerloop.example.org) it is set up for
    HTTP mode: request URLs point there and Socket Mode is off."""
    text = MANIFEST_PATH.read_text(encoding="utf-8")
    if public_url:
        base = public_url.rstrip("/")
        text = text.replace("https://peerloop.example.com", base)
        text = text.replace("socket_mode_enabled: true", "socket_mode_enabled: false")
    return text


def print_manifest(public_url: str | None = None, out: TextIO | None = None) -> None:
    print(manifest_text(public_url), end="", file=out or sys.stdout)

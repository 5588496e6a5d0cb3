"""Where discord.py sends its REST calls and opens its gateway connection.

Real deployments talk to Discord itself (``https://discord.com/api/v10`` and
``wss://gateway.discord.gg``). A deployment behind an egress proxy, and the test
suite with its local fake Discord, point the library elsewhere by setting
``DISCORD_API_BASE_URL`` / ``DISCORD_GATEWAY_URL`` (read by the composition root,
not here) and calling :func:`configure_discord_endpoints` once, before the
client logs in.

How discord.py (2.4 - 2.7) picks its endpoints, and why this is process-wide
-------------------------------------------------------------------------------
REST
    Every call, from :class:`discord.http.HTTPClient` *and* from the webhook
    adapter that answers interactions (``/interactions/{id}/{token}/callback``,
    followups, ``@original``), builds a :class:`discord.http.Route` whose URL is
    ``Route.BASE + path``, computed when the route is created. ``Route.BASE`` is
    a class variable that the library itself reassigns (``_set_api_version``).
    There is no per-client hook: the webhook adapter never consults the client's
    ``HTTPClient``, so wrapping one client's ``request`` would miss every
    interaction response. Setting ``Route.BASE`` is therefore the one place that
    covers all REST traffic.
Gateway
    ``Client.connect`` calls ``DiscordWebSocket.from_client`` without a gateway
    URL, which falls back to the class attribute
    ``DiscordWebSocket.DEFAULT_GATEWAY`` (discord.py 2.x no longer asks
    ``GET /gateway/bot`` for a plain ``Client``; ``AutoShardedClient`` does, and
    then uses whatever URL that REST call returns, so it follows the REST base).
    After READY the library reconnects for RESUME to the ``resume_gateway_url``
    that READY carried, and after a non-resumable INVALID_SESSION it goes back
    to ``DEFAULT_GATEWAY``. So setting ``DEFAULT_GATEWAY`` covers the first
    connection and every fresh IDENTIFY, and the server controls resumes.

Both attributes are process-wide, so all clients in one process share the
endpoints; that matches the deployment model (one bot per process) and the
tests (one fake per test, configured in a fixture that restores the defaults
afterwards via :func:`discord_endpoints`). Passing ``None`` restores Discord's
own URL for that half.

The gateway version, encoding and compression are query parameters that the
library appends itself (``?v=10&encoding=json&compress=zlib-stream`` or
``zstd-stream``), so ``gateway_url`` is only scheme, host, port and path.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

__all__ = [
    "DEFAULT_API_BASE_URL",
    "DEFAULT_GATEWAY_URL",
    "DiscordEndpoints",
    "configure_discord_endpoints",
    "current_discord_endpoints",
    "discord_endpoints",
]

DEFAULT_API_BASE_URL = "https://discord.com/api/v10"
DEFAULT_GATEWAY_URL = "wss://gateway.discord.gg/"


@dataclass(frozen=True, slots=True)
class DiscordEndpoints:
    """The REST base URL and the gateway URL discord.py currently uses."""

    api_base_url: str
    gateway_url: str


def _normalise_api_base(url: str) -> str:
    parsed = yarl.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ValueError(
            f"Discord API base URL must be an absolute http(s) URL such as "
            f"{DEFAULT_API_BASE_URL!r}; got {url!r}"
        )
    if parsed.query_string or parsed.fragment:
        raise ValueError(f"Discord API base URL must not carry a query or fragment; got {url!r}")
    # Route paths start with '/', so the base must not end with one.
    return url.rstrip("/")


def _normalise_gateway(url: str) -> yarl.URL:
    parsed = yarl.URL(url)
    if parsed.scheme not in ("ws", "wss") or not parsed.host:
        raise ValueError(
            f"Discord gateway URL must be an absolute ws(s) URL such as "
            f"{DEFAULT_GATEWAY_URL!r}; got {url!r}"
        )
    if parsed.query_string or parsed.fragment:
        raise ValueError(
            "Discord gateway URL must not carry a query (the library adds v, encoding "
            f"and compress itself); got {url!r}"
        )
    if not parsed.path:
        parsed = parsed.with_path("/")
    return parsed


def configure_discord_endpoints(api_base_url: str | None, gateway_url: str | None) -> None:
    """Point discord.py's REST calls at ``api_base_url`` and its gateway at ``gateway_url``.

    ``api_base_url`` includes the API version, e.g. ``http://127.0.0.1:8080/api/v10``.
    ``None`` (or an empty string) for either restores Discord's own endpoint.
    Call before ``Client.login``/``start``; it affects every client in the process.
    """
    Route.BASE = _normalise_api_base(api_base_url) if api_base_url else DEFAULT_API_BASE_URL
    DiscordWebSocket.DEFAULT_GATEWAY = (
        _normalise_gateway(gateway_url) if gateway_url else yarl.URL(DEFAULT_GATEWAY_URL)
    )


def current_discord_endpoints() -> DiscordEndpoints:
    """The endpoints discord.py will use for the next request and the next IDENTIFY."""
    return DiscordEndpoints(
        api_base_url=Route.BASE, gateway_url=str(DiscordWebSocket.DEFAULT_GATEWAY)
    )


@contextmanager
def discord_endpoints(api_base_url: str | None, gateway_url: str | None) -> Iterator[None]:
    """Use the given endpoints inside the block and restore the previous ones after it."""
    previous_base = Route.BASE
    previous_gateway = DiscordWebSocket.DEFAULT_GATEWAY
    configure_discord_endpoints(api_base_url, gateway_url)
    try:
        yield
    finally:
        Route.BASE = previous_base
        DiscordWebSocket.DEFAULT_GATEWAY = previous_gateway

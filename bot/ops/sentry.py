"""Optional error reporting to Sentry: on only when ``SENTRY_DSN`` is set and the ``sentry``
extra (``pip install 'peerloop[sentry]'``) is installed.

Nothing a member wrote and no token leaves: :func:`scrub_event` (Sentry's ``before_send``)
keeps an error's exception types and, for each frame, only the function, file and line; it
drops request data, the user, exception and log messages (a log event keeps its template,
never its arguments), extra data, and every breadcrumb's message and data. Local variables
and source lines are never collected.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.settings import Settings

log = logging.getLogger("peerloop")

#: What a stack frame keeps.
FRAME_KEYS = ("function", "module", "filename", "abs_path", "lineno", "in_app")
#: What a breadcrumb keeps (its message and data may quote a member).
BREADCRUMB_KEYS = ("type", "category", "level", "timestamp")
#: Contexts about the machine, not the member.
CONTEXT_KEYS = ("os", "runtime", "trace")
#: Top-level event fields that are safe as they are.
EVENT_KEYS = (
    "event_id",
    "timestamp",
    "level",
    "platform",
    "logger",
    "server_name",
    "release",
    "environment",
    "dist",
    "sdk",
    "fingerprint",
    "tags",
    "modules",
    "transaction_info",
)


def _frames(stacktrace: Any) -> dict[str, Any] | None:
    if not isinstance(stacktrace, Mapping):
        return None
    frames = [
        {k: frame[k] for k in FRAME_KEYS if k in frame}
        for frame in stacktrace.get("frames") or ()
        if isinstance(frame, Mapping)
    ]
    return {"frames": frames}


def _exception(value: Mapping[str, Any]) -> dict[str, Any]:
    kept: dict[str, Any] = {k: value[k] for k in ("type", "module") if k in value}
    mechanism = value.get("mechanism")
    if isinstance(mechanism, Mapping):
        kept["mechanism"] = {k: mechanism[k] for k in ("type", "handled") if k in mechanism}
    if (frames := _frames(value.get("stacktrace"))) is not None:
        kept["stacktrace"] = frames
    return kept


def scrub_breadcrumb(crumb: Mapping[str, Any], hint: Any = None) -> dict[str, Any]:
    return {k: crumb[k] for k in BREADCRUMB_KEYS if k in crumb}


def scrub_event(event: Mapping[str, Any], hint: Any = None) -> dict[str, Any]:
    """The event with only what identifies the failure: where and of which type, never what."""
    clean: dict[str, Any] = {k: event[k] for k in EVENT_KEYS if k in event}
    exception = event.get("exception")
    if isinstance(exception, Mapping):
        clean["exception"] = {
            "values": [
                _exception(v) for v in exception.get("values") or () if isinstance(v, Mapping)
            ]
        }
    threads = event.get("threads")
    if isinstance(threads, Mapping):
        clean["threads"] = {
            "values": [
                {k: t[k] for k in ("id", "name", "crashed", "current") if k in t}
                | ({"stacktrace": st} if (st := _frames(t.get("stacktrace"))) is not None else {})
                for t in threads.get("values") or ()
                if isinstance(t, Mapping)
            ]
        }
    logentry = event.get("logentry")
    if isinstance(logentry, Mapping) and isinstance(logentry.get("message"), str):
        # the log call's template (code), not its arguments; only when it had arguments, since
        # a template without them is the formatted text itself
        if logentry.get("params"):
            clean["logentry"] = {"message": logentry["message"]}
    request = event.get("request")
    if isinstance(request, Mapping) and "method" in request:
        clean["request"] = {"method": request["method"]}
    contexts = event.get("contexts")
    if isinstance(contexts, Mapping):
        clean["contexts"] = {k: contexts[k] for k in CONTEXT_KEYS if k in contexts}
    breadcrumbs = event.get("breadcrumbs")
    if isinstance(breadcrumbs, Mapping):
        clean["breadcrumbs"] = {
            "values": [
                scrub_breadcrumb(c)
                for c in breadcrumbs.get("values") or ()
                if isinstance(c, Mapping)
            ]
        }
    elif isinstance(breadcrumbs, list):
        clean["breadcrumbs"] = [scrub_breadcrumb(c) for c in breadcrumbs if isinstance(c, Mapping)]
    return clean


def init_sentry(settings: Settings, **options: Any) -> bool:
    """Start reporting errors when ``SENTRY_DSN`` is set; True when it is on."""
    if settings.sentry_dsn is None:
        return False
    try:
        import sentry_sdk
    except ImportError:
        log.warning(
            "SENTRY_DSN is set but the sentry extra is not installed "
            "(pip install 'peerloop[sentry]'): error reporting stays off"
        )
        return False
    from importlib.metadata import PackageNotFoundError, version

    try:
        release = f"peerloop@{version('peerloop')}"
    except PackageNotFoundError:
        release = None
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=settings.sentry_environment,
        release=release,
        include_local_variables=False,
        include_source_context=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_breadcrumb=scrub_breadcrumb,
        **options,
    )
    log.info("error reporting to Sentry is on")
    return True

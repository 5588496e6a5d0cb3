"""``LOG_FORMAT=json``: one JSON object per line, for log collectors.

Each line has ``time``, ``level``, ``logger`` and ``message``, plus ``community``, ``member``,
``incident`` and ``request`` when a log call passes them as ``extra`` or the work being handled
set them (``bot.core.log_context``: a request id per command or press, Slack event, step and
delivery, and the internal ids of the community and member it concerns). The message is the log
call's template with its arguments scrubbed, so user-written text does not reach the line:

- an exception becomes its class name (exception messages may quote a member's name or input);
- numbers, booleans and enum values stay;
- a string stays only when it looks like an identifier, a key or a code (no whitespace, at
  most 120 characters); anything longer or with spaces becomes ``<text>``.

Tracebacks are reduced to the exception's class and the frame that raised it (file, line,
function). Plain text (the default) keeps the classic one-line format.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Mapping
from datetime import UTC, datetime
from enum import Enum
from typing import Any

from bot.core.log_context import current

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTEXT_FIELDS = ("community", "member", "incident", "request")
MAX_TOKEN = 120
REDACTED = "<text>"


def _safe(value: object) -> object:
    if isinstance(value, BaseException):
        return type(value).__name__
    if isinstance(value, Enum):
        value = value.value
    if value is None or isinstance(value, (bool, int, float)):
        return value
    text = str(value)
    if len(text) > MAX_TOKEN or any(c.isspace() for c in text):
        return REDACTED
    return text


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": self.message(record),
        }
        context = current()  # the request being handled where the line was logged
        for name in CONTEXT_FIELDS:
            if name in record.__dict__:
                line[name] = _safe(record.__dict__[name])
            elif name in context:
                line[name] = _safe(context[name])
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2]) if record.exc_info[2] else []
            if frames:
                last = frames[-1]
                line["where"] = f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"
        return json.dumps(line, ensure_ascii=False)

    @staticmethod
    def message(record: logging.LogRecord) -> str:
        template = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
        args = record.args
        if not args:
            return template
        safe: object
        if isinstance(args, Mapping):
            safe = {key: _safe(value) for key, value in args.items()}
        else:
            safe = tuple(_safe(value) for value in args)
        try:
            return template % safe
        except (TypeError, ValueError, KeyError):  # e.g. %d given <text>
            return template

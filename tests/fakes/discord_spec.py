"""Check request bodies recorded by the fake Discord against Discord's OpenAPI description.

The spec (Discord's ``openapi.json``, OpenAPI 3.1, about 1.2 MB) is read from
``$PEERLOOP_DISCORD_OPENAPI`` or else ``../shared/specs/discord/openapi.json``
next to the project, once per test session. It is not part of the project: when
it is absent the checks are skipped (or warned about) with a message that says
where it was looked for.

For every recorded request the operation is found by method and path template
(literal segments win over ``{parameters}``, so ``/thread-members/@me`` is not
mistaken for ``/thread-members/{user_id}``), the body schema is taken from
``requestBody.content["application/json"]`` (for multipart requests the
``payload_json`` part is validated against ``content["multipart/form-data"]``,
and the file part names against its ``files[n]`` properties), ``$ref``s resolve
against the whole document and the body is validated with Draft 2020-12.

One deliberate leniency: the spec types every snowflake as a decimal *string*;
Discord also accepts JSON integers there, and discord.py sends integers (for
example ``recipient_id`` when opening a DM), so a non-negative integer is accepted
wherever the spec says ``format: snowflake``. Everything else is strict.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

if TYPE_CHECKING:
    from tests.fakes.fake_discord import FakeDiscord, RecordedRequest

__all__ = [
    "SPEC_ENV_VAR",
    "DiscordSpec",
    "DiscordSpecNotFound",
    "SpecViolation",
    "assert_requests_match_spec",
    "discord_spec_path",
    "load_discord_spec",
    "requires_discord_spec",
    "spec_missing_reason",
]

SPEC_ENV_VAR = "PEERLOOP_DISCORD_OPENAPI"
_SPEC_URI = "urn:discord:openapi"
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class DiscordSpecNotFound(UserWarning):
    """Emitted when request bodies could not be checked because the spec file is absent."""


def discord_spec_path() -> Path:
    configured = os.environ.get(SPEC_ENV_VAR)
    if configured:
        return Path(configured).expanduser()
    return _PROJECT_ROOT.parent / "shared" / "specs" / "discord" / "openapi.json"


def spec_missing_reason() -> str | None:
    path = discord_spec_path()
    if path.is_file():
        return None
    return (
        f"Discord OpenAPI spec not found at {path}; request bodies not validated "
        f"(set {SPEC_ENV_VAR} to its location)"
    )


requires_discord_spec = pytest.mark.skipif(
    spec_missing_reason() is not None, reason=spec_missing_reason() or ""
)


@dataclass(frozen=True, slots=True)
class SpecViolation:
    method: str
    path: str
    template: str | None
    problem: str

    def __str__(self) -> str:
        where = f" ({self.template})" if self.template else ""
        return f"{self.method} {self.path}{where}: {self.problem}"


def _lenient_snowflakes(node: Any) -> Any:
    if isinstance(node, dict):
        node = {k: _lenient_snowflakes(v) for k, v in node.items()}
        if node.get("format") == "snowflake":
            return {"anyOf": [node, {"type": "integer", "minimum": 0}]}
        return node
    if isinstance(node, list):
        return [_lenient_snowflakes(v) for v in node]
    return node


_WEAK_VALIDATORS = {"enum": 0, "const": 0, "type": 0, "required": 1, "additionalProperties": 1}


def _most_specific(errors: Iterable[ValidationError]) -> ValidationError | None:
    """The error that best explains a failure inside unions (anyOf/oneOf) of component types.

    ``jsonschema``'s ``best_match`` tends to report a discriminator (``type: 2 is not one of [10]``) from
    a union branch that was never meant; the deepest leaf error, preferring limits
    (maxLength, maximum, pattern...) over type/enum mismatches, is usually the real one.
    """
    stack = list(errors)
    if not stack:
        return None
    leaves: list[ValidationError] = []
    while stack:
        err = stack.pop()
        if err.context:
            stack.extend(err.context)
        else:
            leaves.append(err)
    return max(
        leaves,
        key=lambda e: (len(e.absolute_path), _WEAK_VALIDATORS.get(str(e.validator), 2)),
    )


def _pointer(*parts: str) -> str:
    return "/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


class DiscordSpec:
    """Operations of the spec, indexed for lookup by method and concrete path."""

    def __init__(self, document: dict[str, Any], source: Path | None = None) -> None:
        self.source = source
        self.document = copy.deepcopy(document)
        self.document["components"] = _lenient_snowflakes(self.document.get("components", {}))
        self.document["paths"] = _lenient_snowflakes(self.document.get("paths", {}))
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry: Registry = Registry().with_resource(_SPEC_URI, resource)
        self._ops: list[tuple[int, str, re.Pattern[str], str]] = []
        for template, item in self.document["paths"].items():
            segments = template.strip("/").split("/")
            regex = "/" + "/".join(
                "[^/]+" if s.startswith("{") and s.endswith("}") else re.escape(s) for s in segments
            )
            literals = sum(not s.startswith("{") for s in segments)
            for method in item:
                if method in ("get", "put", "post", "patch", "delete"):
                    self._ops.append((literals, method.upper(), re.compile(regex), template))
        self._ops.sort(key=lambda op: -op[0])
        self._validators: dict[str, Draft202012Validator] = {}

    def find_operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        for _, op_method, regex, template in self._ops:
            if op_method == method.upper() and regex.fullmatch(path):
                return template, self.document["paths"][template][method.lower()]
        return None

    def _validator(self, template: str, method: str, content_type: str) -> Draft202012Validator:
        pointer = _pointer(
            "paths", template, method.lower(), "requestBody", "content", content_type, "schema"
        )
        validator = self._validators.get(pointer)
        if validator is None:
            validator = Draft202012Validator(
                {"$ref": f"{_SPEC_URI}#{pointer}"}, registry=self._registry
            )
            self._validators[pointer] = validator
        return validator

    def check(self, rec: RecordedRequest) -> list[SpecViolation]:
        found = self.find_operation(rec.method, rec.path)
        if found is None:
            return [SpecViolation(rec.method, rec.path, None, "no such operation in Discord's API")]
        template, op = found
        content = (op.get("requestBody") or {}).get("content", {})
        has_body = rec.json is not None or bool(rec.files) or bool(rec.form)

        def violation(problem: str) -> SpecViolation:
            return SpecViolation(rec.method, rec.path, template, problem)

        if not has_body:
            if (op.get("requestBody") or {}).get("required"):
                return [violation("request body is required")]
            return []
        if not content:
            return [violation("operation takes no request body but one was sent")]
        if rec.is_multipart:
            media = "multipart/form-data"
            if media not in content:
                return [violation("operation does not accept multipart/form-data")]
            problems = []
            allowed_files = self._multipart_file_fields(content[media]["schema"])
            for f in rec.files:
                if allowed_files and f.field_name not in allowed_files:
                    problems.append(violation(f"unexpected multipart file field {f.field_name!r}"))
            extra = set(rec.form) - {"payload_json"}
            if extra and rec.json is not None:
                problems.append(violation(f"form fields next to payload_json: {sorted(extra)}"))
        else:
            media = "application/json"
            if media not in content:
                return [violation(f"operation does not accept {media}")]
            problems = []
        if rec.json is None:
            return problems
        error = _most_specific(self._validator(template, rec.method, media).iter_errors(rec.json))
        if error is not None:
            location = "".join(f"[{p!r}]" for p in error.absolute_path) or "body"
            detail = error.message if len(error.message) < 400 else error.message[:400] + "..."
            problems.append(violation(f"{location}: {detail}"))
        return problems

    def _multipart_file_fields(self, schema: dict[str, Any]) -> set[str]:
        names: set[str] = set()
        for part in schema.get("allOf", []):
            names.update(k for k in part.get("properties", {}) if k.startswith("files["))
        return names

    def check_all(self, requests: Iterable[RecordedRequest]) -> list[SpecViolation]:
        problems: list[SpecViolation] = []
        for rec in requests:
            problems.extend(self.check(rec))
        return problems


@functools.cache
def _load(path: str) -> DiscordSpec:
    with open(path, encoding="utf-8") as fh:
        return DiscordSpec(json.load(fh), Path(path))


def load_discord_spec() -> DiscordSpec | None:
    """The parsed spec (read once per process), or ``None`` when the file is absent."""
    path = discord_spec_path()
    if not path.is_file():
        return None
    return _load(str(path))


def assert_requests_match_spec(
    fake: FakeDiscord,
    *,
    skip_if_missing: bool = False,
    include_failed: bool = True,
) -> int:
    """Validate every request the bot sent to ``fake``; returns how many were checked.

    Requests to routes the fake does not serve are reported too (they are not in
    Discord's API or the fake lacks them). Without the spec this warns
    (:class:`DiscordSpecNotFound`) and returns 0, or skips the test with
    ``skip_if_missing=True``.
    """
    spec = load_discord_spec()
    if spec is None:
        reason = spec_missing_reason() or "Discord OpenAPI spec not found"
        if skip_if_missing:
            pytest.skip(reason)
        warnings.warn(reason, DiscordSpecNotFound, stacklevel=2)
        return 0
    checked = [r for r in fake.requests if include_failed or r.status < 400]
    problems = spec.check_all(checked)
    if problems:
        listing = "\n  ".join(str(p) for p in problems)
        raise AssertionError(
            f"{len(problems)} request(s) do not match Discord's OpenAPI spec:\n  {listing}"
        )
    return len(checked)

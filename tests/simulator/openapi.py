"""Validate JSON responses against an OpenAPI 3.0 spec's response schemas, resolving `$ref`s."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from referencing import Registry
from referencing.jsonschema import DRAFT4

SPECS = Path(__file__).parent / "specs"


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects → JSON Schema draft 4: `nullable: true` becomes a `null` alternative."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {str(k): _json_schema(v) for k, v in node.items()}
    if out.pop("nullable", False) is True:
        if isinstance(out.get("type"), str):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            return {"anyOf": [out, {"type": "null"}]}
    return out


@dataclass(frozen=True)
class Spec:
    """One OpenAPI document, ready to validate responses."""

    uri: str
    document: dict[str, Any]
    registry: Registry[Any]

    def template_for(self, path: str) -> str | None:
        """The spec path (`/tracks/{id}`) that a concrete path matches."""
        for template in self.document["paths"]:
            pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path):
                return str(template)
        return None

    def response(self, template: str, method: str, status: int) -> tuple[str, ...] | None:
        """Where the response declared for this status lives in the document, or None if undeclared."""
        operation = self.document["paths"][template][method.lower()]
        declared = operation["responses"].get(str(status))
        if declared is None:
            return None
        ref = declared.get("$ref")
        if ref:
            return ("components", "responses", ref.rsplit("/", 1)[-1])
        return ("paths", template, method.lower(), "responses", str(status))

    def errors(self, template: str, method: str, status: int, body: Any) -> list[str]:
        """Schema violations of `body` (empty when it validates or the status has no JSON schema)."""
        where = self.response(template, method, status)
        if where is None:
            return []
        node: Any = self.document
        for key in where:
            node = node[key]
        if "schema" not in (node.get("content") or {}).get("application/json", {}):
            return []
        keys = (*where, "content", "application/json", "schema")
        pointer = "/".join(k.replace("~", "~0").replace("/", "~1") for k in keys)
        validator = Draft4Validator(
            {"$ref": f"{self.uri}#/{pointer}"},
            registry=self.registry,
            format_checker=Draft4Validator.FORMAT_CHECKER,
        )
        return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(body)]


def _load(uri: str, raw: dict[str, Any]) -> Spec:
    document = _json_schema(raw)
    # Local `#/components/...` refs resolve against the document itself.
    resource = DRAFT4.create_resource(document)
    return Spec(uri, document, Registry().with_resource(uri, resource))


@cache
def twitch_spec() -> Spec:
    """The Helix spec."""
    return _load("urn:spec:twitch-helix", json.loads((SPECS / "twitch-helix-openapi.json").read_text(encoding="utf-8")))


@cache
def spotify_spec() -> Spec:
    """The Spotify Web API spec."""
    return _load(
        "urn:spec:spotify-web-api",
        yaml.safe_load((SPECS / "spotify-web-api-openapi.yml").read_text(encoding="utf-8")),
    )

"""Checks of JSON values against the OpenAPI document (used by the tests in this folder).

``key_errors`` needs no dependencies: objects must carry every required key and no key
the schema does not list (recursively, through ``$ref``, ``allOf``, ``nullable``, arrays,
maps and the ``intent_type`` discriminator). ``schema_errors`` adds full JSON-Schema
validation (types, enums, decimal patterns) when ``jsonschema`` is importable: it is not
pinned by this project, but drf-spectacular requires it for ``--validate``.
"""

from __future__ import annotations

import copy
from typing import Any

REF_PREFIX = "#/components/schemas/"


def ref_name(schema: dict[str, Any]) -> str | None:
    """The component a schema refers to (directly or as ``allOf: [$ref]``), if any."""
    if "$ref" in schema:
        return schema["$ref"].removeprefix(REF_PREFIX)
    if len(schema.get("allOf", [])) == 1 and "$ref" in schema["allOf"][0]:
        return schema["allOf"][0]["$ref"].removeprefix(REF_PREFIX)
    return None


def key_errors(value: Any, schema: dict[str, Any], comps: dict[str, Any], path: str = "$"):
    """Key-level mismatches between ``value`` and ``schema`` (see module docstring)."""
    if value is None:
        return [] if schema.get("nullable") else [f"{path}: null is not allowed"]
    name = ref_name(schema)
    if name is not None:
        return key_errors(value, comps[name], comps, path)
    if "oneOf" in schema and "discriminator" in schema:
        prop = schema["discriminator"]["propertyName"]
        kind = value.get(prop) if isinstance(value, dict) else None
        target = schema["discriminator"]["mapping"].get(kind)
        if target is None:
            return [f"{path}: no variant for {prop}={value!r:.80}"]
        return key_errors(value, {"$ref": target}, comps, path)
    errors: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        props = schema["properties"]
        missing = set(schema.get("required", [])) - set(value)
        unknown = set(value) - set(props)
        if missing:
            errors.append(f"{path}: missing keys {sorted(missing)}")
        if unknown and not schema.get("additionalProperties"):
            errors.append(f"{path}: undocumented keys {sorted(unknown)}")
        for key, item in value.items():
            if key in props:
                errors += key_errors(item, props[key], comps, f"{path}.{key}")
    elif isinstance(value, dict) and isinstance(schema.get("additionalProperties"), dict):
        for key, item in value.items():
            errors += key_errors(item, schema["additionalProperties"], comps, f"{path}.{key}")
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            errors += key_errors(item, schema["items"], comps, f"{path}[{index}]")
    return errors


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema 2020-12, strict about undocumented keys.

    ``nullable`` becomes ``anyOf [..., null]``; objects that list properties get
    ``additionalProperties: false`` unless they say otherwise.
    """
    if isinstance(node, list):
        return [to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: to_json_schema(value) for key, value in node.items() if key != "nullable"}
    if converted.get("type") == "object" and "properties" in converted:
        converted.setdefault("additionalProperties", False)
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def schema_errors(value: Any, schema: dict[str, Any] | str, comps: dict[str, Any]) -> list[str]:
    """``key_errors`` plus JSON-Schema errors; a str ``schema`` names a component."""
    if isinstance(schema, str):
        schema = {"$ref": REF_PREFIX + schema}
    errors = key_errors(value, schema, comps)
    try:
        import jsonschema
    except ImportError:  # pragma: no cover - drf-spectacular depends on it
        return errors
    root = {
        **to_json_schema(copy.deepcopy(schema)),
        "components": {"schemas": to_json_schema(copy.deepcopy(comps))},
    }
    validator = jsonschema.Draft202012Validator(root)
    return errors + [
        f"$.{'.'.join(map(str, error.absolute_path))}: {error.message[:300]}"
        for error in validator.iter_errors(value)
    ]

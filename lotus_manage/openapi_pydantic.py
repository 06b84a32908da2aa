"""pydantic models in the OpenAPI 3.0 document.

drf-spectacular's bundled ``contrib.pydantic`` extension lets ``@extend_schema`` take
pydantic models, but it asks pydantic for JSON Schema 2020-12, which OpenAPI 3.0 does
not accept in four places: ``{"type": "null"}`` for optional values, ``const`` for
one-value literals, ``propertyNames`` for constrained map keys, and a ``title`` on every property (noise for readers). This
extension renders the same models with a generator that speaks OpenAPI 3.0, in
validation mode for request bodies and serialization mode for responses.

Imported for its side effect (registration) by the modules that declare schemas.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.pydantic import PydanticExtension
from drf_spectacular.plumbing import ResolvedComponent
from pydantic.json_schema import GenerateJsonSchema, model_json_schema

REF_TEMPLATE = "#/components/schemas/{model}"


class OpenApi30JsonSchema(GenerateJsonSchema):
    """pydantic's JSON schema generator with OpenAPI 3.0 spellings."""

    def nullable_schema(self, schema: Any) -> dict[str, Any]:
        inner = self.generate_inner(schema["schema"])
        if "$ref" in inner:
            return {"allOf": [inner], "nullable": True}
        return {**inner, "nullable": True}

    def literal_schema(self, schema: Any) -> dict[str, Any]:
        json_schema = super().literal_schema(schema)
        if "const" in json_schema:  # a one-value Literal; OpenAPI 3.0 has no const
            json_schema["enum"] = [json_schema.pop("const")]
        return json_schema

    def dict_schema(self, schema: Any) -> dict[str, Any]:
        json_schema = super().dict_schema(schema)
        json_schema.pop("propertyNames", None)  # key lengths are stated in descriptions
        return json_schema

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def model_schema(self, schema: Any) -> dict[str, Any]:
        json_schema = super().model_schema(schema)
        json_schema.pop("title", None)
        return json_schema


class OpenApi30PydanticExtension(PydanticExtension):
    priority = 1  # wins over the bundled extension for every pydantic model

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = model_json_schema(
            self.target,
            ref_template=REF_TEMPLATE,
            schema_generator=OpenApi30JsonSchema,
            mode="validation" if direction == "request" else "serialization",
        )
        for name, sub_schema in schema.pop("$defs", {}).items():
            auto_schema.registry.register_on_missing(
                ResolvedComponent(
                    name=name, type=ResolvedComponent.SCHEMA, object=name, schema=sub_schema
                )
            )
        return schema

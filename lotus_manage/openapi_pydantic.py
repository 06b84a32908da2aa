"""pydantic models and typed dicts in the OpenAPI 3.0 document.

drf-spectacular's bundled ``contrib.pydantic`` extension lets ``@extend_schema`` take
pydantic models, but it asks pydantic for JSON Schema 2020-12, which OpenAPI 3.0 does
not accept in four places: ``{"type": "null"}`` for optional values, ``const`` for
one-value literals, ``propertyNames`` for constrained map keys, and a ``title`` on every
property (noise for readers). The extensions here render with a generator that speaks
OpenAPI 3.0:

* ``OpenApi30PydanticExtension``: pydantic models (the request bodies), in validation
  mode for requests and serialization mode for responses;
* ``TypedDictExtension``: ``TypedDict`` classes (the response bodies, which the views
  build as plain dicts), through pydantic's ``TypeAdapter``.

Imported for its side effect (registration) by the modules that declare schemas.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.contrib.pydantic import PydanticExtension
from drf_spectacular.drainage import set_override
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from pydantic import TypeAdapter, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema, model_json_schema
from typing_extensions import is_typeddict

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
        json_schema.pop("title", None)  # the component name says it
        return json_schema

    def typed_dict_schema(self, schema: Any) -> dict[str, Any]:
        json_schema = super().typed_dict_schema(schema)
        json_schema.pop("title", None)
        return json_schema


_COMPONENT_MARK = "x-lotus-component"


def component_ref(name: str) -> WithJsonSchema:
    """Document a value as the component ``name`` declared elsewhere in the document.

    pydantic checks every ``$ref`` it emits against its own definitions, so the
    reference is written as a mark that the extensions below turn into one.
    """
    return WithJsonSchema({_COMPONENT_MARK: name})


def _resolve_marks(node: Any) -> Any:
    """Turn component marks into references; a ``$ref`` with siblings (a description, a
    default) into ``allOf: [$ref]``, since OpenAPI 3.0 ignores a reference's siblings."""
    if isinstance(node, dict):
        if _COMPONENT_MARK in node:
            node = {"$ref": REF_TEMPLATE.format(model=node[_COMPONENT_MARK]),
                    **{key: value for key, value in node.items() if key != _COMPONENT_MARK}}
        if "$ref" in node and len(node) > 1:
            rest = {key: _resolve_marks(value) for key, value in node.items() if key != "$ref"}
            return {"allOf": [{"$ref": node["$ref"]}], **rest}
        return {key: _resolve_marks(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve_marks(item) for item in node]
    return node


def _register_definitions(auto_schema: Any, schema: dict[str, Any]) -> dict[str, Any]:
    """Move pydantic's ``$defs`` into the document's components; return the rest."""
    schema = _resolve_marks(schema)
    for name, sub_schema in schema.pop("$defs", {}).items():
        auto_schema.registry.register_on_missing(
            ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, object=name, schema=sub_schema)
        )
    return schema


class OpenApi30PydanticExtension(PydanticExtension):
    priority = 1  # wins over the bundled extension for every pydantic model

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = model_json_schema(
            self.target,
            ref_template=REF_TEMPLATE,
            schema_generator=OpenApi30JsonSchema,
            mode="validation" if direction == "request" else "serialization",
        )
        return _register_definitions(auto_schema, schema)


class TypedDictExtension(OpenApiSerializerExtension):
    """A ``TypedDict`` given to ``@extend_schema`` becomes the component of its name."""

    target_class = dict  # narrowed by _matches: only TypedDict classes

    @classmethod
    def _matches(cls, target: Any) -> bool:
        return is_typeddict(target)

    def get_name(self, auto_schema: Any, direction: str) -> str:
        # Nested definitions are registered by name (see _register_definitions), so the
        # same component also arrives under its class: not a collision.
        set_override(self.target, "suppress_collision_warning", True)
        return self.target.__name__

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = TypeAdapter(self.target).json_schema(
            ref_template=REF_TEMPLATE, schema_generator=OpenApi30JsonSchema, mode="serialization"
        )
        return _register_definitions(auto_schema, schema)

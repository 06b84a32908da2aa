"""Contract fields: DRF fields that validate like the reference's pydantic models.

DRF's stock fields have their own coercions, codes and messages; the contract (api.md
§1.2–§1.6, §3.18) pins pydantic's. These fields implement exactly that vocabulary, raise
errors whose ``ErrorDetail.code`` is the pydantic ``type`` (see
``rebalance.validation_issues``) and produce the engine's value types (``Decimal``, enums,
tuples, dicts). ``ContractSerializer`` is the matching base for request objects: it builds
the engine dataclass and runs object-level checks only after every field passed.

Presence rules shared by all of them: an absent required key → ``missing``; an absent
optional key is skipped, so the engine dataclass default applies (one source of truth for
defaults); ``null`` is accepted only by nullable fields and otherwise reported with the
field's own type error (``decimal_type``, ``string_type``, …), as pydantic does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation, localcontext
from enum import Enum
from typing import Any, ClassVar

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField, empty
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from rebalance import validation_issues as vi

# --- Hardening limits ---------------------------------------------------------------------
# Deliberate improvements over the reference (api.md §7 items 15/19): bounded inputs keep
# validation, hashing and the engine's work bounded. They are the only place these numbers
# live; change them here.

#: Decimals must have an adjusted exponent (position of the leading digit) within these
#: bounds, i.e. a magnitude between 1E-100 and ~1E+101. Far inside the decimal context's
#: Emin/Emax, so no engine arithmetic on inputs can overflow or underflow.
DECIMAL_MIN_ADJUSTED_EXPONENT = -100
DECIMAL_MAX_ADJUSTED_EXPONENT = 100

MAX_POSITIONS = 10_000
MAX_LOTS_PER_POSITION = 1_000
MAX_CASH_BALANCES = 1_000
MAX_PRICES = 20_000
MAX_FX_RATES = 2_000
MAX_MODEL_TARGETS = 10_000
MAX_SHELF_ENTRIES = 20_000
MAX_ATTRIBUTES_PER_SHELF_ENTRY = 100
MAX_GROUP_CONSTRAINTS = 200
MAX_OVERDRAFT_CURRENCIES = 200
# Identifiers that the run store keeps in bounded columns (dpm_runs.models).
MAX_PORTFOLIO_ID_LENGTH = 256

#: Context key: validate as pydantic's ``Model.model_validate`` (batch scenario options)
#: rather than as a FastAPI request body. Only the message for a non-object where an
#: object is expected differs: ``model_type`` instead of ``model_attributes_type``.
STRICT_MODELS = "strict_models"

# --- Scalar coercion ----------------------------------------------------------------------

_TRUE_STRINGS = frozenset({"true", "t", "yes", "y", "on", "1"})
_FALSE_STRINGS = frozenset({"false", "f", "no", "n", "off", "0"})
_INT_STRING = re.compile(r"[+-]?\d+(?:_\d+)*(?:\.0*)?")


def parse_decimal(data: Any) -> Decimal:
    """A request decimal (api.md §1.3) as an exact ``Decimal`` that keeps its scale.

    JSON strings go through ``Decimal()`` after trimming; JSON integers convert exactly;
    JSON floats convert through their shortest round-trip text (``repr``), so ``100.00``
    becomes ``Decimal("100.0")``. NaN/Infinity → ``finite_number``; an adjusted exponent
    outside our bounds → ``decimal_out_of_range``.
    """
    if isinstance(data, bool):  # bool is an int subclass; JSON true/false are not numbers
        raise vi.contract_error(vi.DECIMAL_TYPE, vi.MSG_DECIMAL_TYPE)
    if isinstance(data, Decimal):
        value = data
    elif isinstance(data, int):
        value = Decimal(data)
    elif isinstance(data, float):
        value = Decimal(repr(data))
    elif isinstance(data, str):
        value = _decimal_from_text(data.strip())
    else:
        raise vi.contract_error(vi.DECIMAL_TYPE, vi.MSG_DECIMAL_TYPE)
    if not value.is_finite():
        raise vi.contract_error(vi.FINITE_NUMBER, vi.MSG_FINITE_NUMBER)
    if not DECIMAL_MIN_ADJUSTED_EXPONENT <= value.adjusted() <= DECIMAL_MAX_ADJUSTED_EXPONENT:
        raise vi.contract_error(
            vi.DECIMAL_OUT_OF_RANGE,
            vi.decimal_out_of_range_message(
                DECIMAL_MIN_ADJUSTED_EXPONENT, DECIMAL_MAX_ADJUSTED_EXPONENT
            ),
        )
    return value


def _decimal_from_text(text: str) -> Decimal:
    # Trap explicitly: with the trap off Decimal("abc") would be NaN (→ wrong message).
    with localcontext() as ctx:
        ctx.traps[InvalidOperation] = True
        try:
            return Decimal(text)
        except InvalidOperation:
            raise vi.contract_error(vi.DECIMAL_PARSING, vi.MSG_DECIMAL_PARSING) from None


def parse_int(data: Any) -> int:
    """A request integer (api.md §1.2): int, integral float, or numeric string."""
    if isinstance(data, bool):  # pydantic's lax mode: True → 1, False → 0
        return int(data)
    if isinstance(data, int):
        return data
    if isinstance(data, float):
        if not math.isfinite(data):
            raise vi.contract_error(vi.FINITE_NUMBER, vi.MSG_FINITE_NUMBER)
        if not data.is_integer():
            raise vi.contract_error(vi.INT_FROM_FLOAT, vi.MSG_INT_FROM_FLOAT)
        return int(data)
    if isinstance(data, str):
        text = data.strip()
        if _INT_STRING.fullmatch(text):
            try:
                return int(text.split(".", 1)[0])
            except ValueError:  # beyond Python's int-from-text digit limit
                pass
        raise vi.contract_error(vi.INT_PARSING, vi.MSG_INT_PARSING)
    raise vi.contract_error(vi.INT_TYPE, vi.MSG_INT_TYPE)


def parse_bool(data: Any) -> bool:
    """A request boolean (api.md §1.5): true/false, 0/1, and the lenient strings."""
    if isinstance(data, bool):
        return data
    if isinstance(data, (int, float)):
        if isinstance(data, float) and not data.is_integer():
            raise vi.contract_error(vi.BOOL_TYPE, vi.MSG_BOOL_TYPE)
        if data in (0, 1):
            return bool(data)
        raise vi.contract_error(vi.BOOL_PARSING, vi.MSG_BOOL_PARSING)
    if isinstance(data, str):
        lowered = data.lower() if data.isascii() else data
        if lowered in _TRUE_STRINGS:
            return True
        if lowered in _FALSE_STRINGS:
            return False
        raise vi.contract_error(vi.BOOL_PARSING, vi.MSG_BOOL_PARSING)
    raise vi.contract_error(vi.BOOL_TYPE, vi.MSG_BOOL_TYPE)


def check_bounds(value: Decimal | int, ge: int | None, le: int | None) -> None:
    """pydantic ``ge``/``le`` constraints: ``greater_than_equal`` / ``less_than_equal``."""
    if ge is not None and value < ge:
        raise vi.contract_error(vi.GREATER_THAN_EQUAL, vi.ge_message(ge))
    if le is not None and value > le:
        raise vi.contract_error(vi.LESS_THAN_EQUAL, vi.le_message(le))


def unit_interval_check(text: str) -> Callable[[Decimal], None]:
    """A custom check: ``0 <= value <= 1`` or ``value_error`` with ``text``."""

    def check(value: Decimal) -> None:
        if not Decimal(0) <= value <= Decimal(1):
            raise vi.contract_error(vi.VALUE_ERROR, vi.value_error_message(text))

    return check


# --- Presence / null handling -------------------------------------------------------------


def contract_empty_values(field: serializers.Field, data: Any) -> tuple[bool, Any]:
    """DRF ``validate_empty_values`` with the contract's rules (see module docstring)."""
    if data is empty:
        if field.required:
            raise vi.contract_error(vi.MISSING, vi.MSG_MISSING)
        raise SkipField()  # absent optional key: the engine dataclass default applies
    if data is None and field.allow_null:
        return True, None
    return False, data  # a non-nullable null gets the field's own type error


class ContractField(serializers.Field):
    """Base of the contract fields: required unless told otherwise, never read-only."""

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        return contract_empty_values(self, data)

    def to_representation(self, value: Any) -> Any:
        # Request-only fields; responses are rendered elsewhere.
        return value

    def openapi_schema(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        """The field's OpenAPI schema (used by drf-spectacular, see ``_ContractFieldSchema``)."""
        raise NotImplementedError


# --- Scalar fields ------------------------------------------------------------------------


class StringField(ContractField):
    """A strict JSON string: numbers, booleans, objects → ``string_type``.

    An optional ``max_length`` (our hardening) bounds strings that end up in storage.
    """

    def __init__(self, *, max_length: int | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            raise vi.contract_error(vi.STRING_TYPE, vi.MSG_STRING_TYPE)
        if self.max_length is not None and len(data) > self.max_length:
            raise vi.contract_error(vi.STRING_TOO_LONG, vi.string_too_long_message(self.max_length))
        return data

    def openapi_schema(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if self.max_length is not None:
            return {"type": "string", "maxLength": self.max_length}
        return {"type": "string"}


class DecimalField(ContractField):
    """A decimal (§1.3) with optional ``ge``/``le`` bounds and a custom check.

    Order within the field, as in pydantic: parsing, then bounds, then the custom check
    (which raises the ``Value error, …`` messages).
    """

    def __init__(
        self,
        *,
        ge: int | None = None,
        le: int | None = None,
        check: Callable[[Decimal], None] | None = None,
        **kwargs: Any,
    ) -> None:
        self.ge = ge
        self.le = le
        self.check = check
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        value = parse_decimal(data)
        check_bounds(value, self.ge, self.le)
        if self.check is not None:
            self.check(value)
        return value

    def openapi_schema(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        # Strings are the recommended form (§1.3); JSON numbers are accepted too.
        return {"type": "string", "format": "decimal"}


class IntegerField(ContractField):
    """An integer (§1.2) with optional ``ge``/``le`` bounds."""

    def __init__(self, *, ge: int | None = None, le: int | None = None, **kwargs: Any) -> None:
        self.ge = ge
        self.le = le
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        value = parse_int(data)
        check_bounds(value, self.ge, self.le)
        return value

    def openapi_schema(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "integer"}
        if self.ge is not None:
            schema["minimum"] = self.ge
        if self.le is not None:
            schema["maximum"] = self.le
        return schema


class BooleanField(ContractField):
    """A boolean with the lenient forms of §1.5."""

    def to_internal_value(self, data: Any) -> bool:
        return parse_bool(data)

    def openapi_schema(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {"type": "boolean"}


class LiteralField(ContractField):
    """One of a fixed set of strings, exact and case-sensitive (``literal_error``)."""

    def __init__(
        self, choices: Sequence[str], *, issue_type: str = vi.LITERAL_ERROR, **kwargs: Any
    ) -> None:
        self.choices = tuple(choices)
        self.issue_type = issue_type
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, str) and data in self.choices:
            return self.convert(data)
        raise vi.contract_error(self.issue_type, vi.choice_message(self.choices))

    def convert(self, value: str) -> Any:
        return value

    def openapi_schema(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {"type": "string", "enum": list(self.choices)}


class EnumField(LiteralField):
    """A member of a string ``Enum`` given by its value.

    Reported as ``enum`` by default (pydantic's type for Enum fields); pass
    ``issue_type=LITERAL_ERROR`` where the reference declared a ``Literal`` instead.
    """

    def __init__(self, enum_class: type[Enum], *, issue_type: str = vi.ENUM, **kwargs: Any) -> None:
        self.enum_class = enum_class
        super().__init__([member.value for member in enum_class], issue_type=issue_type, **kwargs)

    def convert(self, value: str) -> Enum:
        return self.enum_class(value)


class JsonObjectField(ContractField):
    """Any JSON object, kept as received (``dict_type`` otherwise).

    Used for analyze scenario ``options``, whose contents are validated later, one
    scenario at a time. ``documented_as`` names the serializer whose component the
    OpenAPI document shows for it.
    """

    def __init__(self, *, documented_as: type | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.documented_as = documented_as

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise vi.contract_error(vi.DICT_TYPE, vi.MSG_DICT_TYPE)
        return data

    def openapi_schema(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        if self.documented_as is None:
            return {"type": "object", "additionalProperties": {}}
        component = auto_schema.resolve_serializer(self.documented_as, direction)
        return component.ref


# --- Collections --------------------------------------------------------------------------


class ObjectListField(ContractField):
    """A bounded JSON array of ``child`` values, returned as a tuple.

    The length cap is checked before any item is validated, so an oversized array costs
    nothing. Item errors are reported under their int index.
    """

    def __init__(self, child: serializers.Field, *, max_length: int, **kwargs: Any) -> None:
        self.child = child
        self.max_length = max_length
        super().__init__(**kwargs)
        self.child.bind(field_name="", parent=self)

    def to_internal_value(self, data: Any) -> tuple[Any, ...]:
        if not isinstance(data, (list, tuple)):
            raise vi.contract_error(vi.LIST_TYPE, vi.MSG_LIST_TYPE)
        if len(data) > self.max_length:
            raise vi.contract_error(vi.TOO_LONG, vi.too_long_message("List", self.max_length))
        items: list[Any] = []
        errors: dict[int, Any] = {}
        for index, item in enumerate(data):
            try:
                items.append(self.child.run_validation(item))
            except ValidationError as exc:
                errors[index] = exc.detail
        if errors:
            raise ValidationError(errors)
        return tuple(items)

    def openapi_schema(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return {
            "type": "array",
            "items": auto_schema._map_serializer_field(self.child, direction),
            "maxItems": self.max_length,
        }


class MapField(ContractField):
    """A JSON object with free-form keys and ``child`` values, returned as a dict.

    Order, as in pydantic: every value is validated first (insertion order); only when
    all passed does ``entries_check`` run over the validated entries (it walks them in
    insertion order and raises the first ``Value error, …`` at the map's own location).
    An optional ``max_length`` is checked before anything else (our hardening).
    """

    def __init__(
        self,
        child: serializers.Field,
        *,
        max_length: int | None = None,
        entries_check: Callable[[dict[str, Any]], None] | None = None,
        **kwargs: Any,
    ) -> None:
        self.child = child
        self.max_length = max_length
        self.entries_check = entries_check
        super().__init__(**kwargs)
        self.child.bind(field_name="", parent=self)

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise vi.contract_error(vi.DICT_TYPE, vi.MSG_DICT_TYPE)
        if self.max_length is not None and len(data) > self.max_length:
            raise vi.contract_error(vi.TOO_LONG, vi.too_long_message("Dictionary", self.max_length))
        values: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for key, raw in data.items():
            try:
                values[key] = self.child.run_validation(raw)
            except ValidationError as exc:
                errors[key] = exc.detail
        if errors:
            raise ValidationError(errors)
        if self.entries_check is not None:
            self.entries_check(values)
        return values

    def openapi_schema(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema: dict[str, Any] = {
            "type": "object",
            "additionalProperties": auto_schema._map_serializer_field(self.child, direction),
        }
        if self.max_length is not None:
            schema["maxProperties"] = self.max_length
        return schema


# --- Objects ------------------------------------------------------------------------------


class ContractSerializer(serializers.Serializer):
    """Base of every request object.

    * Fields are validated in declaration order; all their errors are collected.
    * Only when every field passed: ``build`` turns the attrs into ``model`` (an engine
      dataclass; absent optional keys fall back to its defaults), then ``check`` runs the
      object-level validation, raising at the object's own location.
    * A non-object input → ``model_attributes_type`` (request bodies), or ``model_type``
      naming ``model_name`` when the root was given ``context={STRICT_MODELS: True}``.
    * Unknown keys are ignored.
    """

    model: ClassVar[type | None] = None
    model_name: ClassVar[str] = ""
    #: Root request bodies only: a JSON ``null`` body is reported as ``missing`` (§1.1).
    null_body_is_missing: ClassVar[bool] = False

    def validate_empty_values(self, data: Any) -> tuple[bool, Any]:
        if data is None and self.parent is None and self.null_body_is_missing:
            raise vi.contract_error(vi.MISSING, vi.MSG_MISSING)
        return contract_empty_values(self, data)

    def run_validation(self, data: Any = empty) -> Any:
        is_empty_value, data = self.validate_empty_values(data)
        if is_empty_value:
            return data
        value = self.build(self.to_internal_value(data))
        self.check(value)
        return value

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if not isinstance(data, Mapping):
            raise self._not_an_object()
        attrs: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, field in self.fields.items():
            try:
                attrs[name] = field.run_validation(data.get(name, empty))
            except ValidationError as exc:
                errors[name] = exc.detail
            except SkipField:
                pass
        if errors:
            raise ValidationError(errors)
        return attrs

    def build(self, attrs: dict[str, Any]) -> Any:
        """The validated value: ``model(**attrs)``, or the attrs dict without a model."""
        return self.model(**attrs) if self.model is not None else attrs

    def check(self, value: Any) -> None:
        """Object-level validation of the built value; raise ``contract_error``s."""

    def to_representation(self, instance: Any) -> Any:
        raise NotImplementedError("request serializers only validate input")

    @property
    def errors(self) -> ReturnDict | ReturnList:
        # DRF's Serializer.errors assumes a dict; ours may be a list (e.g. body not an object).
        errors = super(serializers.Serializer, self).errors
        if isinstance(errors, list):
            return ReturnList(errors, serializer=self)
        return ReturnDict(errors, serializer=self)

    def _not_an_object(self) -> ValidationError:
        if self.context.get(STRICT_MODELS):
            return vi.contract_error(vi.MODEL_TYPE, vi.model_type_message(self.model_name))
        return vi.contract_error(vi.MODEL_ATTRIBUTES_TYPE, vi.MSG_MODEL_ATTRIBUTES_TYPE)


# --- OpenAPI ------------------------------------------------------------------------------


class _ContractFieldSchema(OpenApiSerializerFieldExtension):
    """Lets drf-spectacular document every contract field through its ``openapi_schema``.

    Registered on import; without it the schema generator would warn on each custom field
    and call them all strings.
    """

    target_class = ContractField
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        return self.target.openapi_schema(auto_schema, direction)

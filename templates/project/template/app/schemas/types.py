"""Field types every schema module shares, named like pydantic's own (`pydantic.types`).

Each bounds what a field takes to what storage holds (strings without NUL, integers
to 64 bits, floats to finite numbers, times to what converts to UTC) and to the JSON
type its schema documents, so such input is answered 422 before it gets there.
`fastasync add endpoint` imports from here what each resource's schemas use, and
writes this module into projects made before it existed.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, core_schema


def refuse_nul(value: str) -> str:
    """`value`, unless it holds the NUL character."""
    if "\x00" in value:
        msg = "must not contain the NUL character (\\u0000)"
        raise ValueError(msg)
    return value


class RefuseNul:
    """`refuse_nul` run after the checks before it in a field's `Annotated`, and
    documented: a JSON Schema `pattern` without NUL, which clients can check."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_after_validator_function(refuse_nul, handler(source))

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        documented = handler(schema)
        documented["pattern"] = "^[^\\u0000]*$"
        return documented


# Strings every database stores: PostgreSQL refuses NUL in text (the INSERT would
# fail with a 500), so it is refused here, with a 422, whatever the database. After
# `max_length` in a field's `Annotated`, so an oversized string is refused first:
# `Annotated[str, Field(max_length=255), NO_NUL]`.
NO_NUL = RefuseNul()


def in_utc(value: datetime) -> datetime:
    """`value` in UTC; a time without an offset is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError:  # past year 9999 or before year 1, once in UTC
        msg = "must fall between the years 1 and 9999 once converted to UTC"
        raise ValueError(msg) from None


def refuse_numbers(value: object) -> object:
    """`value`, unless it is a number: pydantic would read one as a Unix time."""
    if isinstance(value, int | float):
        msg = "must be a date and time as text (ISO 8601), not a number"
        raise ValueError(msg)
    return value


# Times as every database stores them, in UTC. A time whose UTC form is out of
# Python's range (`0001-01-01T00:00:00+01:00`) is refused with a 422 here, instead
# of failing with a 500 at the INSERT. Given as text only, as the schema says.
DatetimeInUTC = Annotated[
    datetime, BeforeValidator(refuse_numbers), AfterValidator(in_utc)
]


def refuse_text(value: object) -> object:
    """`value`, unless it is text or true/false, which pydantic would read as a
    number (`"5"`, `true`): the schema says integer, and so does the API."""
    if isinstance(value, str | bool):
        msg = "must be a number, not text or true/false"
        raise ValueError(msg)
    return value


# What a BIGINT column holds: a larger number is refused, not overflowed later. An
# integral float (`5.0`) is an integer to JSON Schema, and is taken. The bounds come
# before the validator: after it, the schema showed them as `ge` and `le`, which
# JSON Schema does not know, instead of `minimum` and `maximum`.
Int64 = Annotated[int, Field(ge=-(2**63), le=2**63 - 1), BeforeValidator(refuse_text)]

# JSON has no inf or nan; the response could not carry them back as numbers. Strict:
# a number only, not text (`"1.5"`) or true/false, as the schema says.
FiniteFloat = Annotated[float, Field(strict=True, allow_inf_nan=False)]


def _undocumented_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def left_out() -> Any:
    """The default of a PATCH field that cannot be null: None means "not sent"
    (`exclude_unset`), and the schema documents no default, so a client sending
    null is told 422 by the schema as by the API."""
    return Field(default=None, json_schema_extra=_undocumented_default)

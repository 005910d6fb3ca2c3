"""The shared field types document what they take, in JSON Schema's own words."""

from pydantic import BaseModel

from app.schemas.types import Int64


class Counted(BaseModel):
    count: Int64
    maybe: Int64 | None = None


def test_int64_documents_its_range_as_minimum_and_maximum() -> None:
    # Not as `ge` and `le`, which JSON Schema does not know: clients and
    # schemathesis would see no bounds at all.
    properties = Counted.model_json_schema()["properties"]
    for bounds in (properties["count"], properties["maybe"]["anyOf"][0]):
        assert (bounds["minimum"], bounds["maximum"]) == (-(2**63), 2**63 - 1)
        assert "ge" not in bounds
        assert "le" not in bounds


def test_int64_takes_integral_numbers_only() -> None:
    assert Counted.model_validate({"count": 5.0}).count == 5
    for value in ("5", True, 2**63, 5.5):
        assert not _valid(value), value


def _valid(value: object) -> bool:
    try:
        Counted.model_validate({"count": value})
    except ValueError:
        return False
    return True

"""Error bodies, and the error statuses routes document in OpenAPI.

Every status a route can answer is documented with its body, so clients (and the
schemathesis test in tests/test_openapi.py) can rely on the schema.
"""

import math
import weakref
from typing import Any
from uuid import UUID, uuid4

from fastapi import Request, status
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import Match, NoMatchFound

# What a route's `responses=` takes: status code -> OpenAPI response.
Responses = dict[int | str, dict[str, Any]]


class ErrorMessage(BaseModel):
    """The body of an error other than a validation error: `{"detail": "..."}`."""

    detail: str


def error(description: str) -> dict[str, Any]:
    """A documented error response whose body is an `ErrorMessage`."""
    return {"model": ErrorMessage, "description": description}


# Where a status is answered for more than one reason, its description lists them.
_REASONS = "Any of:\n"


def add_reason(
    responses: Responses, code: int | str, response: dict[str, Any]
) -> Responses:
    """`responses` with `response` documented for `code` too, as another reason.

    A route answers some statuses (503 above all) for several reasons: a crowd of
    large bodies, a database pool that timed out, a full job store. Documenting
    one must not hide another: the description lists every reason, and headers
    and contents are merged (those documented first win). A reason documented
    already changes nothing, so adding it again is harmless. A new dict is
    returned: response dicts are shared by many routes, and stay as they are.
    """
    documented = responses.get(code)
    if documented is None:
        return {**responses, code: response}
    reasons = _reasons(documented)
    new = [reason for reason in _reasons(response) if reason not in reasons]
    if not new:
        return responses
    merged = {**response, **documented}
    for key in ("headers", "content"):
        if key in response or key in documented:
            merged[key] = {**response.get(key, {}), **documented.get(key, {})}
    listed = "\n".join(f"- {reason}" for reason in [*reasons, *new])
    merged["description"] = _REASONS + listed
    return {**responses, code: merged}


def _reasons(response: dict[str, Any]) -> list[str]:
    description = str(response.get("description", ""))
    if description.startswith(_REASONS):
        return [line.removeprefix("- ") for line in description.splitlines()[1:]]
    return [description] if description else []


def error_content() -> dict[str, Any]:
    """The `content` of a documented response whose body is an `ErrorMessage`, for
    responses added to a route after it was made (FastAPI reads `model` only when
    the route is made)."""
    return {"application/json": {"schema": ErrorMessage.model_json_schema()}}


# Answered by the middleware in app/main.py, so any route may answer them. Starlette
# answers in plain text where the request never reached a route.
EDGE_RESPONSES: Responses = {
    status.HTTP_400_BAD_REQUEST: {
        "model": ErrorMessage,
        "description": "The Host header names a host that is not in ALLOWED_HOSTS",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
    status.HTTP_413_CONTENT_TOO_LARGE: {
        "model": ErrorMessage,
        "description": "The request body is larger than MAX_BODY_BYTES",
        "content": {"text/plain": {"schema": {"type": "string"}}},
    },
}


def location(request: Request, route_name: str, **path_params: Any) -> str:
    """A relative `Location` for a route: its path only, never the `Host` it was
    asked under, which the client chooses."""
    root = str(request.scope.get("root_path", ""))
    if all(isinstance(value, UUID) for value in path_params.values()):
        template = _path_template(request.app, route_name, tuple(path_params))
        if template is not None:
            path, stand_ins = template
            for stand_in, value in zip(stand_ins, path_params.values(), strict=True):
                path = path.replace(stand_in, str(value))
            return root + path
    return root + str(request.app.url_path_for(route_name, **path_params))


# Finding a route's path by name tries every route of the app in turn: that took a
# tenth of the CPU of a POST that answers a `Location`. For ids (UUIDs), the path is
# worked out once per app and route, with a random UUID standing in for each id, and
# the ids put in per request. A parameter whose convertor does not put a UUID in as
# `str(value)`, as Starlette's own do, changes its stand-in: that route then takes
# the full lookup every time, as do values of other types.
_Template = tuple[str, tuple[str, ...]]  # the path, and the stand-ins in it
_Templates = dict[tuple[str, ...], _Template | None]  # by route name and parameters
_TEMPLATES: "weakref.WeakKeyDictionary[Any, _Templates]" = weakref.WeakKeyDictionary()


def _path_template(
    app: Any, route_name: str, names: tuple[str, ...]
) -> _Template | None:
    templates = _TEMPLATES.setdefault(app, {})
    key = (route_name, *names)
    if key not in templates:
        templates[key] = _worked_out(app, route_name, names)
    return templates[key]


def _worked_out(app: Any, route_name: str, names: tuple[str, ...]) -> _Template | None:
    stand_ins = {name: uuid4() for name in names}
    try:
        path = str(app.url_path_for(route_name, **stand_ins))
    except NoMatchFound:
        raise
    except Exception:
        return None  # a convertor of the app's own that refuses a UUID
    texts = tuple(str(stand_in) for stand_in in stand_ins.values())
    if all(path.count(text) == 1 for text in texts):
        return path, texts
    return None


def _json_number(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def _text(value: bytes) -> str:
    return value.decode(errors="replace")


# FastAPI echoes each error's whole input, and a missing field's input is the whole
# object it is missing from: a 1 MiB body missing three required fields answered
# 3 MiB, after 1.5 s of CPU on the event loop encoding it (every other request
# waited). Inputs are echoed up to this size (characters of text, plus one per
# value), which every input a client needs to see fits; larger ones are left out
# (`input` is optional in the documented 422), and so are errors past MAX_ERRORS.
MAX_ECHOED_INPUT = 1000
MAX_ERRORS = 100


def _echoable(value: Any) -> bool:
    """Whether `value` is no larger than MAX_ECHOED_INPUT; looks at no more of it."""
    left = MAX_ECHOED_INPUT
    pending = [value]
    while pending:
        item = pending.pop()
        left -= len(item) + 1 if isinstance(item, (str, bytes)) else 1
        if left < 0:
            return False
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return True


def _bounded(error: dict[str, Any]) -> dict[str, Any]:
    if "input" in error and not _echoable(error["input"]):
        return {key: value for key, value in error.items() if key != "input"}
    return error


async def validation_error_handler(
    request: Request, exc: RequestValidationError
) -> JSONResponse:
    """FastAPI's 422 answer, except that inputs JSON cannot hold are echoed as text,
    and large inputs are not echoed at all.

    FastAPI reads bodies with Python's json module, which takes `NaN` and `Infinity`;
    its own 422 answer echoes the input back and fails on them with a 500. A body
    that is not JSON (another content type) is echoed as bytes, which FastAPI's
    answer decodes as UTF-8 and fails on with a 500 when they are not. An input
    larger than MAX_ECHOED_INPUT is left out of its error, and only the first
    MAX_ERRORS errors are answered: the answer stays small, and cheap to make,
    whatever the body.
    """
    errors = [_bounded(error) for error in exc.errors()[:MAX_ERRORS]]
    content = jsonable_encoder(
        errors, custom_encoder={float: _json_number, bytes: _text}
    )
    return JSONResponse(status_code=422, content={"detail": content})


async def method_not_allowed_handler(request: Request, exc: Exception) -> JSONResponse:
    """405 with an `Allow` header naming every method the path answers.

    Starlette answers 405 from the first route whose path matches, naming that
    route's methods only: `PUT /api/items` said `Allow: GET`, though POST is there
    too, and a client reading `Allow` (as RFC 9110 says it may) would never try it.
    Every route is looked at, only for a request that is answered 405 anyway.
    """
    assert isinstance(exc, HTTPException)  # registered for status 405 only
    allowed: set[str] = set()
    for route in request.app.routes:
        methods = getattr(route, "methods", None)
        if methods and route.matches(request.scope)[0] is not Match.NONE:
            allowed |= methods
    headers = dict(exc.headers or {})
    if allowed:
        headers["Allow"] = ", ".join(sorted(allowed))
    return JSONResponse(
        {"detail": exc.detail}, status_code=exc.status_code, headers=headers
    )

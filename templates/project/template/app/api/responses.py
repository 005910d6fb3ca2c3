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
from starlette.routing import NoMatchFound

# What a route's `responses=` takes: status code -> OpenAPI response.
Responses = dict[int | str, dict[str, Any]]


class ErrorMessage(BaseModel):
    """The body of an error other than a validation error: `{"detail": "..."}`."""

    detail: str


def error(description: str) -> dict[str, Any]:
    """A documented error response whose body is an `ErrorMessage`."""
    return {"model": ErrorMessage, "description": description}


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

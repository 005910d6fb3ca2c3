"""JSON request bodies read strictly: a body that is not JSON text answers 422.

FastAPI answers 422 (`json_invalid`) for a body with a JSON syntax error, but 400
"There was an error parsing the body" when reading it raises anything else: bytes
that are not UTF-8 (or the UTF-16/32 JSON allows), arrays or objects nested deeper
than Python's recursion limit, and integers of more digits than Python reads (4,300).
To a client, all of these are JSON the API cannot read, so routes using
`StrictJSONRoute` answer them as FastAPI answers the others: 422 with the same
`json_invalid` error. A client gets one status, and one body shape, for "your JSON
is broken", and the documented 400 stays what it says (a Host that is not allowed).

Python's json module also reads an unpaired surrogate escape (`"\\ud800"`) into a
string that no UTF-8 text can hold: the route would store it, then fail with a
500 on every answer that includes it (the list of items, too). Those are refused
with 422 as well.
"""

import json
import re
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

# A `\uD800`-`\uDFFF` escape. Most are halves of a valid pair (json.dumps writes
# every emoji so), which the parsed value then holds as one character.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _invalid(message: str, text: str, position: int) -> json.JSONDecodeError:
    # FastAPI turns a JSONDecodeError into its 422 `json_invalid` answer.
    return json.JSONDecodeError(message, text, position)


def parse_json(body: bytes) -> Any:
    """The JSON value in `body`. Whatever is not JSON text raises a JSONDecodeError,
    also where `json.loads` would raise another error or accept it."""
    # What json.loads(bytes) does (its own encoding detection), without its
    # "surrogatepass": an encoded surrogate is not UTF-8 either.
    encoding = json.detect_encoding(body)
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _invalid(f"Invalid {encoding}: {exc.reason}", "", exc.start) from None
    try:
        value = json.loads(text)
        escape = _SURROGATE_ESCAPE.search(text)
        # Only then can the value hold a surrogate; encoding it finds out. The
        # position reported is the first surrogate escape's.
        if escape is not None:
            json.dumps(value, ensure_ascii=False).encode()
    except RecursionError:
        raise _invalid("Nested too deeply", text, 0) from None
    except UnicodeEncodeError:
        position = escape.start() if escape is not None else 0
        raise _invalid("Unpaired surrogate escape", text, position) from None
    except json.JSONDecodeError:
        raise
    except ValueError:
        # Python refuses to read an integer of more digits than this (a guard
        # against quadratic conversion time).
        digits = sys.get_int_max_str_digits()
        raise _invalid(f"Integer of more than {digits} digits", text, 0) from None
    return value


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is read by `parse_json`: pass it as
    `APIRouter(route_class=StrictJSONRoute)` to every router whose routes take one."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler  # no body to read: nothing to do on every request

        async def strict_json_handler(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict_json_handler

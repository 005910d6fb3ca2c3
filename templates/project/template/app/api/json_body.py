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

Parsed, a JSON body takes many times its size: a 1 MiB body of `[{},{},...]` grew
the server by 25 MiB until its request was answered, `[0,0,...]` by 5 MiB
(measured with fastasync's benchmarks/body_memory.py). So the bodies that requests
being handled hold parsed are bounded together, by their size: past
JSON_IN_FLIGHT_MAX_BYTES, a request gets 503 with `Retry-After`, before its body is
read if its `Content-Length` says it cannot fit, else (chunked) before it is
parsed. Small bodies, however many, rarely reach it; a crowd of maximal ones does.
"""

import json
import re
import sys
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.routing import APIRoute

from app.api.responses import add_reason

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


# Seconds a client refused for want of room is told to wait: requests take
# milliseconds to handle, so the room is usually back well before then.
RETRY_AFTER_SECONDS = 1

# Documented on every StrictJSONRoute route that takes a body.
BUSY: dict[str, Any] = {
    "description": "Too many large JSON bodies are being handled at once "
    "(JSON_IN_FLIGHT_MAX_BYTES); retry after the seconds in the `Retry-After` header",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
}


class JSONInFlight:
    """The bytes of JSON bodies that requests being handled hold, and their limit."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.bytes = 0

    def take(self, size: int) -> bool:
        """Count `size` more bytes, if they fit; False, counting nothing, if not."""
        if self.bytes + size > self.max_bytes:
            return False
        self.bytes += size
        return True

    def give_back(self, size: int) -> None:
        self.bytes -= size


class StrictJSONRequest(Request):
    # The room this request's body takes in the app's `JSONInFlight`, until
    # `release`.
    _taken: tuple[JSONInFlight, int] | None = None

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            self.make_room(len(body))
            self._json = parse_json(body)
        return self._json

    def make_room(self, size: int) -> None:
        """Count the body against the app's JSONInFlight, or raise 503 if it does
        not fit."""
        in_flight = self.in_flight
        if in_flight is None:
            return
        if not in_flight.take(size):
            raise self.busy(in_flight)
        self._taken = (in_flight, size)

    def check_room(self) -> None:
        """Raise 503 now, before the body is read, if the `Content-Length` it
        announces cannot fit: the body is then never held at all."""
        in_flight = self.in_flight
        length = self.headers.get("content-length", "")
        if in_flight is None or not (length.isascii() and length.isdigit()):
            return  # chunked: counted once it has arrived
        size = int(length)
        # (Larger than the room can ever hold: MAX_BODY_BYTES answers it, with 413.)
        if size <= in_flight.max_bytes and in_flight.bytes + size > in_flight.max_bytes:
            raise self.busy(in_flight)

    @property
    def in_flight(self) -> JSONInFlight | None:
        """`app.state.json_in_flight` (set by create_app); None in other apps."""
        in_flight: JSONInFlight | None = getattr(self.app.state, "json_in_flight", None)
        return in_flight

    @staticmethod
    def busy(in_flight: JSONInFlight) -> HTTPException:
        return HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"The requests being handled hold {in_flight.bytes} bytes of JSON "
            f"bodies, and {in_flight.max_bytes} at most; try again later.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    def release(self) -> None:
        """Give the body's room back: the request was answered."""
        if self._taken is not None:
            in_flight, size = self._taken
            self._taken = None
            in_flight.give_back(size)


class StrictJSONRoute(APIRoute):
    """A route whose JSON body is read by `parse_json`, within the app's
    JSON_IN_FLIGHT_MAX_BYTES: pass it as `APIRouter(route_class=StrictJSONRoute)`
    to every router whose routes take one."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        if self.body_field is not None:
            # Added to the route's own reasons for a 503 (jobs: the store is full).
            self.responses = add_reason(
                self.responses, status.HTTP_503_SERVICE_UNAVAILABLE, BUSY
            )

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler  # no body to read: nothing to do on every request

        async def strict_json_handler(request: Request) -> Response:
            strict = StrictJSONRequest(request.scope, request.receive)
            strict.check_room()
            try:
                return await handler(strict)
            finally:
                # The parsed body lives until the handler is done with it (an
                # invalid one a moment longer: its 422 is written just after).
                strict.release()

        return strict_json_handler

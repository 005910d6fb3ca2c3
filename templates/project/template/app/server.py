"""The HTTP protocol uvicorn serves the app with: httptools, its request heads bounded.

uvicorn's httptools protocol (what `--http auto` picks when httptools is installed,
as `fastapi[standard]` installs it) keeps every byte of a request's line and
headers until the head is complete, however many arrive: one client sending
headers without end grows the server's memory without end (800 MB of headers held
800 MB). This one counts the bytes of each request's head as they arrive and, past
MAX_HEADER_BYTES, answers 431 and closes the connection, having kept at most that
many. It also gives each head HEADER_TIMEOUT_S seconds to arrive, from the
connection or the request's first byte: uvicorn's own waits for ever for a head
that trickles in a byte at a time, or for a connection that sends nothing, so a
few hundred such connections (Slowloris) would hold every file descriptor. A head
that is late gets 408 and the connection is closed (a connection that sent nothing
is closed without an answer). The trailer fields that may follow a chunked body
are header fields too, and uvicorn kept them as well, however many came (300 MB
of them took a server from 76 MB to 411 MB), appending them to the request's
headers (`scope["headers"]`) while the app ran: they count against
MAX_HEADER_BYTES in the same way (431 past it), and the app never sees them (RFC
9112 lets a server discard them). A body must arrive as it would at 500 bytes/s
after BODY_TIMEOUT_S seconds of grace: 20 s, and one more per 500 bytes received
(Apache's mod_reqtimeout default, `body=20,MinRate=500`). uvicorn waits for ever
for one that trickles in (R.U.D.Y.), each holding a connection and a request. A
late body gets 408 and the connection is closed; the app's request sees the
client disconnected. Nothing else changes; counting and timing cost a request
about a microsecond of CPU (measured against uvicorn's own, same requests).

Serve the app with it (the Dockerfile does):

    uvicorn app.main:app --loop uvloop --http app.server:HttpToolsProtocol

(`fastapi dev` and `fastapi run` use uvicorn's own; uvicorn's `--http h11` bounds
heads too, with `--h11-max-incomplete-event-size`, at more CPU per request.)
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

from uvicorn.config import Config
from uvicorn.protocols.http import httptools_impl
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle
from uvicorn.server import ServerState

from app.core.config import get_settings

logger = logging.getLogger("uvicorn.error")

# A body's slowest pace, once its BODY_TIMEOUT_S of grace is over: each byte received
# gives it 1/500 s more. A 1 MiB upload may take 35 minutes; a client a byte at a
# time cannot hold a connection.
BODY_MIN_BYTES_PER_S = 500


_Base = httptools_impl.HttpToolsProtocol


class HttpToolsProtocol(_Base):
    """uvicorn's httptools protocol; a request line and headers over
    `max_head_bytes` (MAX_HEADER_BYTES) get 431, and ones that take longer than
    `head_timeout` seconds (HEADER_TIMEOUT_S) 408, as does a body slower than
    BODY_MIN_BYTES_PER_S after `body_timeout` seconds (BODY_TIMEOUT_S); then the
    connection is closed."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
        *,
        max_head_bytes: int | None = None,
        head_timeout: float | None = None,
        body_timeout: float | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        if max_head_bytes is None or head_timeout is None or body_timeout is None:
            settings = get_settings()
            if max_head_bytes is None:
                max_head_bytes = settings.max_header_bytes
            if head_timeout is None:
                head_timeout = settings.header_timeout_s
            if body_timeout is None:
                body_timeout = settings.body_timeout_s
        self.max_head_bytes = max_head_bytes
        self.head_timeout = head_timeout
        self.body_timeout = body_timeout
        # Bytes the head being received may still take; None while a body arrives.
        self.head_left: int | None = max_head_bytes
        # Ends the connection if the head being awaited is not complete in time.
        self.head_timer: asyncio.TimerHandle | None = None
        # When the body being received is late (loop time), None when none is; each
        # byte received moves it on. Its timer starts only if a body is still
        # incomplete once the bytes at hand are parsed: most never need one.
        self.body_deadline: float | None = None
        self.body_timer: asyncio.TimerHandle | None = None
        # Bytes the trailer fields of a chunked body may still take; an int only
        # between a chunk's size line and its data (see `on_chunk_header`).
        self.trailer_left: int | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        _Base.connection_made(self, transport)
        self.start_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.stop_head_timer()
        self.stop_body_timer()
        _Base.connection_lost(self, exc)

    def data_received(self, data: bytes) -> None:
        while data:
            left = self.head_left
            if left is None or len(data) <= left:
                if left is not None:
                    self.head_left = left - len(data)
                    _Base.data_received(
                        self, data
                    )  # (faster than super(), per request)
                elif self.trailer_left is not None:
                    self.receive_after_chunk_header(data)
                else:
                    _Base.data_received(self, data)
                if self.body_deadline is not None and self.body_timer is None:
                    self.start_body_timer()
                return
            # More bytes than the head may take: give the parser its allowance and
            # see whether the head ended within it. If so, the parser's callbacks
            # have reset `head_left`, and the rest (a body, the next request) goes on.
            # (A pipelined request whose head began inside the allowance is counted
            # from its end: that head may take up to twice the limit, no more.)
            allowance, data = data[:left], data[left:]
            self.head_left = 0
            if allowance:
                _Base.data_received(self, allowance)
            if self.transport.is_closing() or self.transport.get_protocol() is not self:
                return  # a malformed request answered 400, or a WebSocket upgrade
            if self.head_left == 0:
                self.refuse_head()
                return

    def on_message_begin(self) -> None:
        if self.head_timer is None:  # the first request's runs from the connection
            self.start_head_timer()
        _Base.on_message_begin(self)

    def on_headers_complete(self) -> None:
        self.head_left = None
        self.stop_head_timer()
        self.body_deadline = self.loop.time() + self.body_timeout
        earlier = self.cycle
        _Base.on_headers_complete(self)
        cycle = self.cycle
        if cycle is not earlier and cycle.waiting_for_100_continue:
            cycle.receive = self.timed_from_asking(cycle)  # type: ignore[method-assign,assignment]

    def on_message_complete(self) -> None:
        self.head_left = self.max_head_bytes  # the next request's head
        self.body_deadline = None
        self.stop_body_timer()
        self.trailer_left = None
        _Base.on_message_complete(self)

    def timed_from_asking(
        self, cycle: RequestResponseCycle
    ) -> Callable[[], Awaitable[Any]]:
        """`cycle.receive`, which also gives the body its whole grace from the moment
        the app first asks for it: that is when the client, told `100 Continue`, may
        start sending (the timer meanwhile only waits, see `body_timed_out`)."""
        receive = cycle.receive

        async def receive_timed_from_asking() -> Any:
            if cycle.waiting_for_100_continue and self.cycle is cycle:
                if self.body_deadline is not None:
                    self.body_deadline = self.loop.time() + self.body_timeout
            return await receive()

        return receive_timed_from_asking

    def on_chunk_header(self) -> None:
        # A chunk's size line was read. Its data comes next, or, after the last
        # chunk (size 0), the trailer fields: the bytes that arrive before any data
        # are counted as trailers (`receive_after_chunk_header`). (Trailer bytes
        # that came with the size line itself are not: at most one read's worth.)
        if self.headers is self.scope["headers"]:
            # uvicorn appends trailer fields to the list the request's scope holds
            # as its headers: from here on it appends to a copy of it instead.
            self.headers = list(self.headers)
        self.trailer_left = self.max_head_bytes

    def on_body(self, body: bytes) -> None:
        self.trailer_left = None  # data: not trailers
        if self.body_deadline is not None:
            self.body_deadline += len(body) / BODY_MIN_BYTES_PER_S
        _Base.on_body(self, body)

    def receive_after_chunk_header(self, data: bytes) -> None:
        """Hand `data` to the parser, counting it as trailer fields unless chunk
        data, or the end of the message, came with it."""
        # Counted in advance: `on_body`, `on_chunk_header` and `on_message_complete`
        # replace the count if what came was not (only) trailers.
        self.trailer_left = cast(int, self.trailer_left) - len(data)
        _Base.data_received(self, data)
        left = self.trailer_left
        if left is None or left >= 0 or self.transport.is_closing():
            return
        if self.cycle.response_started:
            self.transport.close()  # an answer is on its way: no 431 in its middle
            return
        self.refuse(
            431,
            f"Request Header Fields Too Large: the trailer fields after a chunked "
            f"body may take {self.max_head_bytes} bytes (MAX_HEADER_BYTES)",
        )

    def start_head_timer(self) -> None:
        self.stop_head_timer()
        self.head_timer = self.loop.call_later(self.head_timeout, self.head_timed_out)

    def stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def start_body_timer(self) -> None:
        assert self.body_deadline is not None
        self.body_timer = self.loop.call_at(self.body_deadline, self.body_timed_out)

    def stop_body_timer(self) -> None:
        if self.body_timer is not None:
            self.body_timer.cancel()
            self.body_timer = None

    def body_timed_out(self) -> None:
        """Answer 408 and close if the body is late; else wait until it would be."""
        self.body_timer = None
        if self.body_deadline is None or self.transport.is_closing():
            return
        cycle = self.cycle
        if self.flow.read_paused or cycle.waiting_for_100_continue:
            # The app has not read what came, or not yet asked for the body: the
            # client is waiting for us. Its time starts again once we ask.
            self.body_deadline = self.loop.time() + self.body_timeout
        if self.loop.time() < self.body_deadline:
            self.start_body_timer()
            return
        self.body_deadline = None
        if cycle.response_started:  # the app has answered: no room for a 408
            self.transport.close()
        else:
            self.refuse(
                408,
                f"Request Timeout: the body came slower than {BODY_MIN_BYTES_PER_S} "
                f"bytes/s after {self.body_timeout:g} s (BODY_TIMEOUT_S)",
            )
        # The app's request sees the client gone now (as uvicorn's connection_lost
        # makes it), and nothing more it sends is written.
        cycle.disconnected = True
        cycle.message_event.set()

    def head_timed_out(self) -> None:
        """Answer 408 and close: the head did not arrive in time."""
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.head_left == self.max_head_bytes:  # not a byte of it came
            self.transport.close()
            return
        self.refuse(
            408,
            f"Request Timeout: the request line and headers must arrive within "
            f"{self.head_timeout:g} s (HEADER_TIMEOUT_S)",
        )

    def refuse_head(self) -> None:
        """Answer 431 and close: the head passed the limit before it ended."""
        self.refuse(
            431,
            f"Request Header Fields Too Large: the request line and headers may take "
            f"{self.max_head_bytes} bytes (MAX_HEADER_BYTES)",
        )

    def refuse(self, status: int, message: str) -> None:
        """Answer `status` with `message` as plain text, then close the connection."""
        self.stop_head_timer()
        logger.warning("Refused a request: %s", message)
        content = [httptools_impl.STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        body = message.encode()
        content.extend(
            [
                b"content-type: text/plain; charset=utf-8\r\n",
                b"content-length: " + str(len(body)).encode() + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()

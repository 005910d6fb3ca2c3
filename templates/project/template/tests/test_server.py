"""app.server's protocol: a request head past MAX_HEADER_BYTES gets 431, as it
arrives, one later than HEADER_TIMEOUT_S 408, and so does a body slower than
BODY_MIN_BYTES_PER_S after BODY_TIMEOUT_S; the trailer fields of a chunked body past
MAX_HEADER_BYTES get 431 and never become request headers; every other request is
served as uvicorn serves it.

The protocol is driven as uvicorn drives it, through a transport that records what
it is sent, so each test sees exactly which bytes reached the parser and when.
"""

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from app.core.config import get_settings
from app.server import BODY_MIN_BYTES_PER_S, HttpToolsProtocol

LIMIT = 1024
# Long enough that no head in these tests is late unless the test makes it so.
PATIENT = 3600.0


async def echo_length(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers 200 with the length of the request's body."""
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    answer = str(len(body)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(answer)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": answer})


class Transport(asyncio.Transport):
    """Keeps what the protocol writes; closing is a flag."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.wrote = asyncio.Event()
        self.closed = False
        self.was_closed = asyncio.Event()
        self.protocol: asyncio.BaseProtocol | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)
        self.wrote.set()

    def close(self) -> None:
        self.closed = True
        self.was_closed.set()

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        addresses = {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 5000)}
        return addresses.get(name, default)

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.protocol = protocol

    def get_protocol(self) -> asyncio.BaseProtocol:
        assert self.protocol is not None
        return self.protocol

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


@pytest.fixture
def config() -> Iterator[Config]:
    # log_config=None: leave the test run's logging as it is.
    config = Config(app=echo_length, log_config=None, lifespan="off")
    config.load()
    yield config


def connect(
    config: Config, head_timeout: float = PATIENT, body_timeout: float = PATIENT
) -> tuple[HttpToolsProtocol, Transport]:
    protocol = HttpToolsProtocol(
        config,
        ServerState(),
        {},
        max_head_bytes=LIMIT,
        head_timeout=head_timeout,
        body_timeout=body_timeout,
    )
    transport = Transport()
    transport.set_protocol(protocol)
    protocol.connection_made(transport)
    return protocol, transport


def head(size: int, body: bytes = b"", *, length: int | None = None) -> bytes:
    """A request whose line and headers take exactly `size` bytes."""
    start = b"POST /echo HTTP/1.1\r\nhost: test\r\n"
    length = len(body) if length is None else length
    start += b"content-length: " + str(length).encode() + b"\r\n"
    padding = size - len(start) - len(b"x-pad: \r\n\r\n")
    assert padding >= 0
    return start + b"x-pad: " + b"a" * padding + b"\r\n\r\n"


async def answers(transport: Transport, count: int) -> list[bytes]:
    """The status lines of the first `count` answers, once they are written."""
    async with asyncio.timeout(5):
        while transport.written.count(b"HTTP/1.1 ") < count:
            transport.wrote.clear()
            await transport.wrote.wait()
    return re.findall(rb"HTTP/1\.1 [^\r]*", transport.written)


async def test_a_head_of_the_limit_is_served_and_one_byte_more_is_431(
    config: Config,
) -> None:
    protocol, at_limit = connect(config)
    protocol.data_received(head(LIMIT))
    protocol, over = connect(config)
    protocol.data_received(head(LIMIT + 1))

    assert await answers(at_limit, 1) == [b"HTTP/1.1 200 OK"]
    assert await answers(over, 1) == [b"HTTP/1.1 431 Request Header Fields Too Large"]
    assert over.closed
    assert b"MAX_HEADER_BYTES" in over.written


async def test_a_head_that_never_ends_is_cut_off_at_the_limit(config: Config) -> None:
    protocol, transport = connect(config)
    protocol.data_received(b"GET / HTTP/1.1\r\nhost: test\r\n")
    received = 0
    while not transport.closed and received < 100 * LIMIT:
        protocol.data_received(b"x-more: " + b"a" * 90 + b"\r\n")
        received += 100

    assert transport.closed
    assert received <= LIMIT + 100  # refused with the chunk that passed the limit
    assert transport.written.startswith(b"HTTP/1.1 431 ")


async def test_one_header_line_without_end_is_cut_off_too(config: Config) -> None:
    protocol, transport = connect(config)
    protocol.data_received(b"GET / HTTP/1.1\r\nx-long: ")
    for _ in range(2 * LIMIT // 64):
        if transport.closed:
            break
        protocol.data_received(b"a" * 64)

    assert (await answers(transport, 1))[0].startswith(b"HTTP/1.1 431 ")
    assert transport.closed


async def test_bodies_do_not_count_and_each_request_has_its_own_head_count(
    config: Config,
) -> None:
    protocol, transport = connect(config)
    body = b"b" * (10 * LIMIT)
    protocol.data_received(head(LIMIT, body) + body)
    assert await answers(transport, 1) == [b"HTTP/1.1 200 OK"]
    # The next request on the connection may take the whole limit again, and so
    # may two more sent at once.
    protocol.data_received(head(LIMIT))
    protocol.data_received(head(LIMIT) + head(LIMIT))

    assert await answers(transport, 4) == [b"HTTP/1.1 200 OK"] * 4
    assert transport.written.count(b"\r\n\r\n0") == 3
    assert not transport.closed


async def test_the_limits_come_from_the_settings(config: Config) -> None:
    protocol = HttpToolsProtocol(config, ServerState(), {})

    assert protocol.max_head_bytes == get_settings().max_header_bytes
    assert protocol.head_timeout == get_settings().header_timeout_s
    assert protocol.body_timeout == get_settings().body_timeout_s


async def test_a_head_that_trickles_in_gets_408_when_its_time_is_up(
    config: Config,
) -> None:
    protocol, transport = connect(config, head_timeout=0.05)
    protocol.data_received(b"GET / HTTP/1.1\r\nhost: test\r\n")
    async with asyncio.timeout(5):
        while not transport.closed:  # a byte now and then, never the end of the head
            protocol.data_received(b"x")
            await asyncio.sleep(0.01)

    assert transport.written.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"connection: close" in transport.written
    assert b"HEADER_TIMEOUT_S" in transport.written


async def test_a_connection_that_sends_nothing_is_closed_without_an_answer(
    config: Config,
) -> None:
    protocol, transport = connect(config, head_timeout=0.05)
    async with asyncio.timeout(5):
        await transport.was_closed.wait()

    assert transport.written == b""


async def test_the_time_runs_for_the_head_only(config: Config) -> None:
    protocol, transport = connect(config)
    assert protocol.head_timer is not None  # from the connection on
    protocol.data_received(head(200, b"abc"))
    assert protocol.head_timer is None  # the head is complete: the body may be slow
    protocol.data_received(b"abc")
    assert await answers(transport, 1) == [b"HTTP/1.1 200 OK"]
    assert protocol.head_timer is None  # between requests: uvicorn's keep-alive

    protocol.data_received(b"GET / HTTP/1.1\r\n")
    timer = protocol.head_timer
    assert timer is not None  # the next request's first byte starts its own time
    protocol.head_timed_out()  # what the timer does when the time is up

    assert (await answers(transport, 2))[1] == b"HTTP/1.1 408 Request Timeout"
    assert transport.closed
    protocol.connection_lost(None)
    assert protocol.head_timer is None


async def test_a_pipelined_request_gets_its_own_time(config: Config) -> None:
    protocol, transport = connect(config)
    protocol.data_received(head(200) + b"GET / HTTP/1.1\r\n")
    assert await answers(transport, 1) == [b"HTTP/1.1 200 OK"]
    assert protocol.head_timer is not None  # the second head has begun

    protocol.data_received(b"host: test\r\n\r\n")

    assert protocol.head_timer is None
    assert await answers(transport, 2) == [b"HTTP/1.1 200 OK"] * 2
    protocol.connection_lost(None)


async def test_a_body_that_trickles_in_gets_408_when_its_time_is_up(
    config: Config,
) -> None:
    protocol, transport = connect(config, body_timeout=0.05)
    protocol.data_received(head(200, length=1000))
    async with asyncio.timeout(5):
        while not transport.closed:  # a byte now and then, slower than the least pace
            protocol.data_received(b"x")
            await asyncio.sleep(0.01)

    assert transport.written.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"connection: close" in transport.written
    assert b"BODY_TIMEOUT_S" in transport.written
    await asyncio.sleep(0.05)  # the app saw the client gone and wrote nothing more
    assert transport.written.count(b"HTTP/1.1 ") == 1
    protocol.connection_lost(None)


async def test_a_body_at_the_least_pace_after_its_grace_is_served(
    config: Config,
) -> None:
    protocol, transport = connect(config, body_timeout=0.05)
    chunk = b"x" * BODY_MIN_BYTES_PER_S  # each gives the body one more second
    protocol.data_received(head(200, length=4 * len(chunk)) + chunk)
    for _ in range(3):
        await asyncio.sleep(0.1)  # twice the grace between chunks, far within a second
        protocol.data_received(chunk)

    assert await answers(transport, 1) == [b"HTTP/1.1 200 OK"]
    assert transport.written.endswith(str(4 * len(chunk)).encode())
    assert protocol.body_timer is None
    protocol.connection_lost(None)


async def test_a_body_the_app_has_not_asked_for_yet_is_not_timed(
    config: Config,
) -> None:
    """With `Expect: 100-continue` the client waits until the app reads the body."""
    asked = asyncio.Event()

    async def reads_later(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asked.wait()
        await echo_length(scope, receive, send)

    config = Config(app=reads_later, log_config=None, lifespan="off")
    config.load()
    protocol, transport = connect(config, body_timeout=0.05)
    protocol.data_received(head(200, length=3)[:-2] + b"expect: 100-continue\r\n\r\n")
    await asyncio.sleep(0.2)  # four times the grace
    assert not transport.closed

    asked.set()
    await answers(transport, 1)  # 100 Continue: now the body may come
    protocol.data_received(b"abc")
    assert await answers(transport, 2) == [b"HTTP/1.1 100 Continue", b"HTTP/1.1 200 OK"]
    protocol.connection_lost(None)


async def test_a_body_that_comes_whole_starts_no_timer(config: Config) -> None:
    protocol, transport = connect(config)
    protocol.data_received(head(200, b"abc") + b"abc")
    assert protocol.body_timer is None
    protocol.data_received(head(200, b"abc"))
    assert protocol.body_timer is not None  # the body is still to come
    protocol.data_received(b"abc")
    assert protocol.body_timer is None
    assert await answers(transport, 2) == [b"HTTP/1.1 200 OK"] * 2
    protocol.connection_lost(None)


CHUNKED = b"POST /echo HTTP/1.1\r\nhost: test\r\ntransfer-encoding: chunked\r\n\r\n"


async def echo_header_names(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the whole body, then answers 200 with the request's header names."""
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    answer = b",".join(name for name, _ in scope["headers"])
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-length", str(len(answer)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": answer})


async def test_trailer_fields_do_not_become_request_headers() -> None:
    """uvicorn appended them to the scope's headers, where an app that looks at
    its headers after the body (as FastAPI does) found them."""
    config = Config(app=echo_header_names, log_config=None, lifespan="off")
    config.load()
    protocol, transport = connect(config)
    protocol.data_received(CHUNKED + b"2\r\n{}\r\n0\r\n")
    protocol.data_received(b"x-user: admin\r\n\r\n")

    assert await answers(transport, 1) == [b"HTTP/1.1 200 OK"]
    assert transport.written.endswith(b"\r\n\r\nhost,transfer-encoding")


async def test_trailer_fields_past_the_limit_get_431(config: Config) -> None:
    protocol, transport = connect(config)
    protocol.data_received(CHUNKED + b"2\r\n{}\r\n0\r\n")
    received = 0
    while not transport.closed and received < 100 * LIMIT:
        protocol.data_received(b"x-more: " + b"a" * 90 + b"\r\n")
        received += 100

    assert transport.closed
    assert received <= LIMIT + 100  # refused with the chunk that passed the limit
    assert transport.written.startswith(b"HTTP/1.1 431 ")
    assert b"trailer fields" in transport.written


async def test_one_trailer_line_without_end_is_cut_off_too(config: Config) -> None:
    protocol, transport = connect(config)
    protocol.data_received(CHUNKED + b"0\r\n")
    protocol.data_received(b"x-long: ")
    for _ in range(2 * LIMIT // 64):
        if transport.closed:
            break
        protocol.data_received(b"a" * 64)

    assert (await answers(transport, 1))[0].startswith(b"HTTP/1.1 431 ")
    assert transport.closed


async def test_a_chunked_body_in_any_pieces_is_served_with_its_trailers(
    config: Config,
) -> None:
    """Only trailer bytes count: chunks many times the limit, each size line
    arriving apart from the data, and trailers within the limit."""
    protocol, transport = connect(config)
    protocol.data_received(CHUNKED)
    chunk = b"b" * (4 * LIMIT)
    for _ in range(10):
        protocol.data_received(b"%x\r\n" % len(chunk))
        for start in range(0, len(chunk), 100):
            protocol.data_received(chunk[start : start + 100])
        protocol.data_received(b"\r\n")
    protocol.data_received(b"0\r\n")
    protocol.data_received(b"x-checksum: " + b"c" * (LIMIT // 2) + b"\r\n\r\n")

    assert await answers(transport, 1) == [b"HTTP/1.1 200 OK"]
    assert transport.written.endswith(b"\r\n\r\n" + str(40 * LIMIT).encode())
    assert not transport.closed


async def test_a_chunked_body_that_trickles_in_gets_408(config: Config) -> None:
    """Each chunk's size line apart from its data, a byte of data at a time."""
    protocol, transport = connect(config, body_timeout=0.05)
    protocol.data_received(CHUNKED)
    async with asyncio.timeout(5):
        while not transport.closed:
            protocol.data_received(b"1\r\n")
            protocol.data_received(b"x\r\n")
            await asyncio.sleep(0.01)

    assert transport.written.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
    assert b"BODY_TIMEOUT_S" in transport.written
    protocol.connection_lost(None)


def test_uvicorn_loads_the_protocol_named_in_the_readme() -> None:
    config = Config(
        app=echo_length, http="app.server:HttpToolsProtocol", log_config=None
    )
    config.load()

    assert config.http_protocol_class is HttpToolsProtocol

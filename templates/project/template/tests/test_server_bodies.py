"""app.server's protocol and request bodies: one slower than BODY_MIN_BYTES_PER_S
after BODY_TIMEOUT_S gets 408; the trailer fields of a chunked body past
MAX_HEADER_BYTES get 431 and never become request headers.
"""

import asyncio
from typing import Any

import pytest
from uvicorn.config import Config

from app.server import BODY_MIN_BYTES_PER_S
from tests.server_harness import (
    LIMIT,
    PATIENT,
    answers,
    connect,
    echo_length,
    head,
    loaded,
    send_without_end,
)


@pytest.fixture
def config() -> Config:
    return loaded(echo_length)


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

    config = loaded(reads_later)
    protocol, transport = connect(config, body_timeout=0.05)
    protocol.data_received(head(200, length=3)[:-2] + b"expect: 100-continue\r\n\r\n")
    await asyncio.sleep(0.2)  # four times the grace
    assert not transport.closed

    # From here on a grace no stall of a busy machine outlasts: the body's must count
    # from the moment the app asks, not from the last time the timer looked.
    protocol.body_timeout = PATIENT
    before_asking = asyncio.get_running_loop().time()
    asked.set()
    await answers(transport, 1)  # 100 Continue: now the body may come
    assert protocol.body_deadline is not None
    assert protocol.body_deadline >= before_asking + PATIENT
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
    config = loaded(echo_header_names)
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
    send_without_end(protocol, transport)

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

"""app.server's protocol: a request head past MAX_HEADER_BYTES gets 431, as it
arrives, and one later than HEADER_TIMEOUT_S 408; every other request is served as
uvicorn serves it (bodies: test_server_bodies.py).
"""

import asyncio

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from app.core.config import get_settings
from app.server import HttpToolsProtocol
from tests.server_harness import (
    LIMIT,
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
    send_without_end(protocol, transport)

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


def test_uvicorn_loads_the_protocol_named_in_the_readme() -> None:
    config = Config(
        app=echo_length, http="app.server:HttpToolsProtocol", log_config=None
    )
    config.load()

    assert config.http_protocol_class is HttpToolsProtocol

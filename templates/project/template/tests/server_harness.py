"""Drive app.server's protocol as uvicorn drives it, through a transport that records
what it is sent, so each test sees exactly which bytes reached the parser and when."""

import asyncio
import re
from typing import Any

from uvicorn.config import Config
from uvicorn.server import ServerState

from app.server import HttpToolsProtocol

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


def loaded(app: Any) -> Config:
    """uvicorn's configuration serving `app`; log_config=None leaves the test run's
    logging as it is."""
    config = Config(app=app, log_config=None, lifespan="off")
    config.load()
    return config


def send_without_end(protocol: HttpToolsProtocol, transport: Transport) -> None:
    """Send one line's bytes, 64 at a time, up to twice LIMIT or until closed."""
    for _ in range(2 * LIMIT // 64):
        if transport.closed:
            break
        protocol.data_received(b"a" * 64)

"""Tasks the job tests run; cpu ones must live in a module worker processes import."""

import math
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import anyio
from pydantic import BaseModel, Field

from app.clients.errors import UpstreamError
from app.jobs import TaskSpec


class EchoInput(BaseModel):
    text: str
    delay: float = Field(default=0, ge=0)


class Echo(BaseModel):
    text: str
    echoed_at: datetime


async def echo(payload: EchoInput) -> Echo:
    await anyio.sleep(payload.delay)
    return Echo(text=payload.text, echoed_at=datetime.now(UTC))


class PrimesInput(BaseModel):
    below: int = Field(ge=2, le=100_000)


def count_primes(payload: PrimesInput) -> dict[str, int]:
    """Pure-Python CPU work; also says which process did it."""
    count = sum(
        all(n % d for d in range(2, int(n**0.5) + 1)) for n in range(2, payload.below)
    )
    return {"primes": count, "pid": os.getpid()}


class FailInput(BaseModel):
    message: str


async def fail_io(payload: FailInput) -> None:
    raise RuntimeError(payload.message)


def fail_cpu(payload: FailInput) -> None:
    raise ValueError(payload.message)


async def fail_upstream(payload: FailInput) -> None:
    """Fails as a client call does when the upstream answers 500 with `message`."""
    raise UpstreamError(
        "GET https://upstream.test/items answered 500",
        method="GET",
        url="https://upstream.test/items",
        status_code=500,
        body=payload.message,
    )


class OddResultInput(BaseModel):
    result: Literal["nan", "infinity", "surrogate"]


async def odd_result(payload: OddResultInput) -> dict[str, Any]:
    """A result that jsonable_encoder passes but no JSON text (or UTF-8) holds."""
    values: dict[str, Any] = {
        "nan": math.nan,
        "infinity": -math.inf,
        "surrogate": b"caf\xe9".decode("utf-8", "surrogateescape"),
    }
    return {"value": values[payload.result]}


class HangInput(BaseModel):
    pid_file: str
    seconds: float = Field(default=60, gt=0)


def hang_cpu(payload: HangInput) -> None:
    """CPU-bound work that takes too long; says which process runs it."""
    Path(payload.pid_file).write_text(str(os.getpid()))
    deadline = time.monotonic() + payload.seconds
    while time.monotonic() < deadline:
        pass


echo_task = TaskSpec(name="echo", input_model=EchoInput, func=echo, kind="io")
# The same task with its own time limit, far below the app's JOB_TIMEOUT_S.
impatient_echo_task = TaskSpec(
    name="impatient-echo", input_model=EchoInput, func=echo, kind="io", timeout=0.2
)
primes_task = TaskSpec(
    name="primes", input_model=PrimesInput, func=count_primes, kind="cpu"
)
fail_io_task = TaskSpec(name="fail-io", input_model=FailInput, func=fail_io, kind="io")
fail_cpu_task = TaskSpec(
    name="fail-cpu", input_model=FailInput, func=fail_cpu, kind="cpu"
)
fail_upstream_task = TaskSpec(
    name="fail-upstream", input_model=FailInput, func=fail_upstream, kind="io"
)
odd_result_task = TaskSpec(
    name="odd-result", input_model=OddResultInput, func=odd_result, kind="io"
)
hang_cpu_task = TaskSpec(
    name="hang-cpu", input_model=HangInput, func=hang_cpu, kind="cpu", timeout=1
)

SAMPLE_TASKS = [
    echo_task,
    impatient_echo_task,
    primes_task,
    fail_io_task,
    fail_cpu_task,
    fail_upstream_task,
    odd_result_task,
    hang_cpu_task,
]

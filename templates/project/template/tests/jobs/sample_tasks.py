"""Tasks the job tests run; cpu ones must live in a module worker processes import."""

import os
from datetime import datetime, timezone

import anyio
from pydantic import BaseModel, Field

from app.jobs import TaskSpec


class EchoInput(BaseModel):
    text: str
    delay: float = Field(default=0, ge=0)


class Echo(BaseModel):
    text: str
    echoed_at: datetime


async def echo(payload: EchoInput) -> Echo:
    await anyio.sleep(payload.delay)
    return Echo(text=payload.text, echoed_at=datetime.now(timezone.utc))


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


echo_task = TaskSpec(name="echo", input_model=EchoInput, func=echo, kind="io")
primes_task = TaskSpec(
    name="primes", input_model=PrimesInput, func=count_primes, kind="cpu"
)
fail_io_task = TaskSpec(name="fail-io", input_model=FailInput, func=fail_io, kind="io")
fail_cpu_task = TaskSpec(
    name="fail-cpu", input_model=FailInput, func=fail_cpu, kind="cpu"
)

SAMPLE_TASKS = [echo_task, primes_task, fail_io_task, fail_cpu_task]

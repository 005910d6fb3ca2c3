"""Liveness check for load balancers and container health checks."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

router = APIRouter(prefix="/health", tags=["health"])


class Health(BaseModel):
    status: Literal["ok"] = "ok"


@router.get("")
async def health() -> Health:
    """Answer 200 while the process serves requests; touches no upstream."""
    return Health()

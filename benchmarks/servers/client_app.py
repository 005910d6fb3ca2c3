"""FastAPI apps for `client_load`: one endpoint, `GET /call`, that calls the upstream.

The variant is chosen by BENCH_VARIANT; BENCH_UPSTREAM is the upstream's URL. Every
variant's pool is capped at BENCH_POOL connections (default 100) with as many kept
alive, so the pools are equal:

- seed:          the seed text's `async with httpx.AsyncClient() as client:` per request
- httpx:         one shared `httpx.AsyncClient`, opened in the lifespan
- httpx_aiohttp: one shared httpx client over httpx-aiohttp's `AiohttpTransport`
- aiohttp:       one shared `aiohttp.ClientSession`, opened in the lifespan

Served by uvicorn (uvloop, httptools, one worker); see benchmarks/client_load.py.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import httpx
from fastapi import FastAPI, Request

VARIANT = os.environ.get("BENCH_VARIANT", "httpx")
UPSTREAM = os.environ.get("BENCH_UPSTREAM", "http://127.0.0.1:9001/")
POOL = int(os.environ.get("BENCH_POOL", "100"))
# Idle connections httpx keeps; = POOL unless set (client_load's httpx_ka20 sets 20,
# httpx's default, as a reference: its pool scans every idle connection per request).
KEEPALIVE = int(os.environ.get("BENCH_KEEPALIVE", str(POOL)))
TIMEOUT = 30.0

LIMITS = httpx.Limits(max_connections=POOL, max_keepalive_connections=KEEPALIVE)
HTTPX_TIMEOUT = httpx.Timeout(TIMEOUT, connect=5.0)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if VARIANT == "httpx":
        async with httpx.AsyncClient(limits=LIMITS, timeout=HTTPX_TIMEOUT) as client:
            app.state.client = client
            yield
    elif VARIANT == "httpx_aiohttp":
        from httpx_aiohttp import HttpxAiohttpClient

        async with HttpxAiohttpClient(limits=LIMITS, timeout=HTTPX_TIMEOUT) as client:
            app.state.client = client
            yield
    elif VARIANT == "aiohttp":
        connector = aiohttp.TCPConnector(limit=POOL, limit_per_host=POOL)
        timeout = aiohttp.ClientTimeout(total=TIMEOUT, sock_connect=5.0)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            app.state.session = session
            yield
    elif VARIANT == "seed":
        yield
    else:
        raise RuntimeError(f"unknown BENCH_VARIANT {VARIANT!r}")


app = FastAPI(lifespan=lifespan)


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok", "variant": VARIANT}


if VARIANT == "seed":

    @app.get("/call")
    async def call_seed() -> Any:
        # The seed's pattern, with the same pool limits as the other variants.
        async with httpx.AsyncClient(limits=LIMITS, timeout=HTTPX_TIMEOUT) as client:
            response = await client.get(UPSTREAM)
        return response.json()

elif VARIANT == "aiohttp":

    @app.get("/call")
    async def call_aiohttp(request: Request) -> Any:
        session: aiohttp.ClientSession = request.app.state.session
        async with session.get(UPSTREAM) as response:
            response.raise_for_status()
            return await response.json()

else:

    @app.get("/call")
    async def call_httpx(request: Request) -> Any:
        client: httpx.AsyncClient = request.app.state.client
        response = await client.get(UPSTREAM)
        response.raise_for_status()
        return response.json()

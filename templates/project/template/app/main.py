"""Builds the app: settings in, lifespan-owned resources, one place for routers."""

import functools
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from anyio.to_thread import current_default_thread_limiter
from fastapi import FastAPI, status
from fastapi.exceptions import RequestValidationError
from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from app.api.json_body import JSONInFlight
from app.api.main import include_routers
from app.api.responses import method_not_allowed_handler, validation_error_handler
from app.api.upstream_errors import install_upstream_errors
from app.core.config import Settings, get_settings
from app.jobs import JobRunner


def create_app(settings: Settings | None = None) -> FastAPI:
    """Create the app; tests pass their own settings, servers read the environment."""
    if settings is None:
        settings = get_settings()
    # Servers configure their own loggers, not the app's: give `app.*` a handler
    # (unless logging is set up already) and the configured level.
    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("app").setLevel(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        # `def` endpoints and `to_thread` calls share anyio's threadpool, 40 threads
        # by default: once all are busy, blocking work queues up. Size it to the
        # blocking work this app does (and the connections its DB pool allows).
        current_default_thread_limiter().total_tokens = settings.threadpool_size
        tune_gc()
        async with AsyncExitStack() as stack:
            state: dict[str, Any] = {"settings": settings}
            state["jobs"] = await stack.enter_async_context(JobRunner(settings))
            yield state

    # Starlette's trailing-slash redirect builds an absolute URL from the request's
    # `Host` header, which a client chooses: routes are declared without a trailing
    # slash, and `/api/items/` is a 404 rather than a redirect to someone else's host.
    app = FastAPI(title=settings.app_name, lifespan=lifespan, redirect_slashes=False)
    # What StrictJSONRoute's routes count their parsed bodies in (app/api/json_body.py).
    app.state.json_in_flight = JSONInFlight(settings.json_in_flight_max_bytes)
    include_routers(app)
    install_upstream_errors(app)
    app.exception_handler(RequestValidationError)(validation_error_handler)
    app.exception_handler(status.HTTP_405_METHOD_NOT_ALLOWED)(
        method_not_allowed_handler
    )
    add_middleware(app, settings)
    return app


# Python's garbage collector examines its youngest objects each time 700 more were
# made. A request makes hundreds, and the objects of the requests still in flight
# survive each collection, to be examined again with the older ones: under load the
# collector took ~16% of the app's CPU. Collected after 7,000, and with the objects
# made at import time frozen (never examined again), a request cost about a quarter
# less CPU (100 concurrent requests, each calling an upstream through a client).
GC_YOUNG_THRESHOLD = 7_000


@functools.cache
def tune_gc() -> None:
    """Once per process, when the app starts: freeze what exists, collect less often.

    `gc.freeze()` moves every object made so far (modules, classes, settings) out of
    the collector's sight; they live as long as the process anyway.
    """
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, oldest)


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Guard the app's edge; the middleware added last sees a request first."""
    # Counts body bytes as they arrive, chunked bodies included, and answers 413 as
    # soon as they pass the limit: nothing larger is ever held in memory.
    app.add_middleware(
        RequestBodyLimitMiddleware, max_body_size=settings.max_body_bytes
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["Location", "Retry-After"],
        )
    # A request for a host the app does not serve gets 400 before anything else runs.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=settings.allowed_hosts)


app = create_app()

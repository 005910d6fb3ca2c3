"""Builds the app: settings in, lifespan-owned resources, one place for routers."""

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

from anyio.to_thread import current_default_thread_limiter
from fastapi import FastAPI

from app.api.main import router
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
        async with AsyncExitStack() as stack:
            state: dict[str, Any] = {"settings": settings}
            state["jobs"] = await stack.enter_async_context(JobRunner(settings))
            yield state

    app = FastAPI(title=settings.app_name, lifespan=lifespan)
    app.include_router(router)
    return app


app = create_app()

import gc

import httpx
from anyio.to_thread import current_default_thread_limiter
from asgi_lifespan import LifespanManager

from app.core.config import Settings, get_settings
from app.main import GC_YOUNG_THRESHOLD, app, create_app


def test_module_level_app_is_ready_for_servers() -> None:
    assert app.title == get_settings().app_name


async def test_lifespan_sizes_the_threadpool_from_settings(settings: Settings) -> None:
    settings = settings.model_copy(update={"threadpool_size": 7})

    async with LifespanManager(create_app(settings)):
        assert current_default_thread_limiter().total_tokens == 7


async def test_the_started_app_collects_garbage_less_often(settings: Settings) -> None:
    async with LifespanManager(create_app(settings)):
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 0


async def test_openapi_lists_health_and_jobs(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/openapi.json")).json()

    assert schema["info"]["title"] == "test-app"
    assert {"/health", "/api/jobs/{job_id}"} <= set(schema["paths"])

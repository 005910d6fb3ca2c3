from typing import Any

import httpx
from fastapi import APIRouter, Depends, FastAPI, status
from fastapi.routing import APIRoute

from app.api.responses import error
from app.api.router_group import RouterGroup

calls: list[str] = []


async def record_call() -> None:
    calls.append("called")


def notes_group() -> RouterGroup:
    first = APIRouter(prefix="/notes")

    @first.get("/{name}")
    async def read_note(name: str) -> dict[str, str]:
        return {"router": "first", "name": name}

    second = APIRouter(prefix="/notes")

    @second.get("/latest")
    async def latest_note() -> dict[str, str]:
        return {"router": "second"}

    @second.get("/count")
    async def count_notes() -> dict[str, int]:
        return {"count": 0}

    group = RouterGroup(
        prefix="/api", responses={status.HTTP_503_SERVICE_UNAVAILABLE: error("Busy")}
    )
    group.include_router(first)
    group.include_router(
        second,
        prefix="/v2",
        tags=["second"],
        dependencies=[Depends(record_call)],
        responses={status.HTTP_409_CONFLICT: error("Conflict")},
    )
    return group


def grouped_app() -> FastAPI:
    app = FastAPI()
    notes_group().include_in(app)
    return app


async def get(app: FastAPI, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


async def test_routers_are_served_under_the_group_prefix_in_order() -> None:
    app = grouped_app()
    calls.clear()

    first = await get(app, "/api/notes/latest")
    second = await get(app, "/api/v2/notes/latest")

    # Both routers answer under /api; the one added first wins /api/notes/latest.
    assert first.json() == {"router": "first", "name": "latest"}
    assert second.json() == {"router": "second"}
    assert calls == ["called"]  # the second router's dependencies ran, once
    assert (await get(app, "/notes/latest")).status_code == status.HTTP_404_NOT_FOUND


async def test_the_schema_merges_the_group_and_router_options() -> None:
    paths: dict[str, Any] = (await get(grouped_app(), "/openapi.json")).json()["paths"]

    assert sorted(paths) == [
        "/api/notes/{name}",
        "/api/v2/notes/count",
        "/api/v2/notes/latest",
    ]
    first = paths["/api/notes/{name}"]["get"]
    second = paths["/api/v2/notes/latest"]["get"]
    assert {"503", "422"} <= set(first["responses"]) and "409" not in first["responses"]
    assert {"503", "409"} <= set(second["responses"])
    assert second["tags"] == ["second"] and "tags" not in first


def lazily_included_app() -> FastAPI:
    """`grouped_app`'s routers included with FastAPI's own `include_router`."""
    group = notes_group()
    app = FastAPI()
    for router, prefix, responses, options in group._routers:
        app.include_router(
            router,
            prefix=group.prefix + prefix,
            responses={**group.responses, **responses},
            **options,
        )
    return app


async def test_routes_are_added_to_the_app_with_the_schema_include_router_makes() -> (
    None
):
    app = grouped_app()

    # No router is left between the app and these routes to match through...
    assert all(isinstance(route, APIRoute) for route in app.routes[-3:])
    # ...and the schema is what FastAPI's own include_router documents.
    assert app.openapi() == lazily_included_app().openapi()


async def test_a_router_that_includes_routers_is_included_whole() -> None:
    inner = APIRouter(prefix="/inner")

    @inner.get("/ping")
    async def ping() -> dict[str, str]:
        return {"ping": "pong"}

    outer = APIRouter(prefix="/outer")
    outer.include_router(inner)
    group = RouterGroup(prefix="/api")
    group.include_router(outer)
    app = FastAPI()
    group.include_in(app)

    assert not any(isinstance(route, APIRoute) for route in app.routes[-1:])
    assert (await get(app, "/api/outer/inner/ping")).json() == {"ping": "pong"}


async def test_the_app_serves_the_api_and_health_routes(app: FastAPI) -> None:
    paths = (await get(app, "/openapi.json")).json()["paths"]

    assert "/health" in paths
    assert any(path.startswith("/api/jobs") for path in paths)
    # The edge statuses every /api route may answer come from the group.
    for path, operations in paths.items():
        if path.startswith("/api/"):
            for operation in operations.values():
                assert {"400", "413"} <= set(operation["responses"]), path

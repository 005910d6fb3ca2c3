from uuid import UUID, uuid4

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from starlette.convertors import StringConvertor, register_url_convertor
from starlette.routing import NoMatchFound

from app.api.responses import _TEMPLATES, Responses, add_reason, location
from app.api.router_group import RouterGroup
from app.core.config import Settings
from app.main import create_app


class UpperCase(StringConvertor):
    """A convertor of the app's own: it does not put values in as they are."""

    def to_string(self, value: str) -> str:
        return super().to_string(value).upper()


register_url_convertor("upper", UpperCase())


def app_with_routes() -> FastAPI:
    router = APIRouter(prefix="/notes")

    @router.get("/{note_id}")
    async def read_note(note_id: UUID) -> None: ...

    @router.get("/by-name/{name}")
    async def read_named(name: str) -> None: ...

    @router.get("/tagged/{tag_id:upper}")
    async def read_tagged(tag_id: str) -> None: ...

    @router.get("/{page:int}/of/{size:int}")
    async def read_page(page: int, size: int) -> None: ...

    group = RouterGroup(prefix="/api")
    group.include_router(router)
    app = FastAPI()
    group.include_in(app)
    return app


def request_to(app: FastAPI, root_path: str = "") -> Request:
    return Request({"type": "http", "app": app, "root_path": root_path})


@pytest.mark.parametrize(
    ("route", "params"),
    [
        ("read_note", {"note_id": uuid4()}),
        ("read_named", {"name": "tea"}),
        ("read_named", {"name": "a9f0c2e4b1d84c6f"}),
        ("read_page", {"page": 3, "size": 20}),
        ("read_tagged", {"tag_id": uuid4()}),
    ],
)
def test_location_is_the_path_starlette_builds(
    route: str, params: dict[str, object]
) -> None:
    app = app_with_routes()
    request = request_to(app)
    expected = str(app.url_path_for(route, **params))
    # The first call works the path out; the second reuses it.
    assert location(request, route, **params) == expected
    assert location(request, route, **params) == expected


def test_location_puts_each_value_in_its_own_request() -> None:
    request = request_to(app_with_routes())
    first, second = uuid4(), uuid4()
    assert location(request, "read_note", note_id=first) == f"/api/notes/{first}"
    assert location(request, "read_note", note_id=second) == f"/api/notes/{second}"


def test_location_starts_with_the_root_path() -> None:
    note_id = uuid4()
    request = request_to(app_with_routes(), root_path="/behind-proxy")
    assert location(request, "read_note", note_id=note_id) == (
        f"/behind-proxy/api/notes/{note_id}"
    )


def test_location_refuses_what_starlette_refuses() -> None:
    request = request_to(app_with_routes())
    location(request, "read_named", name="tea")
    with pytest.raises(AssertionError):
        location(request, "read_named", name="a/b")
    with pytest.raises(AssertionError):
        location(request, "read_named", name="")


def test_location_of_an_unknown_route_raises() -> None:
    with pytest.raises(NoMatchFound):
        location(request_to(app_with_routes()), "no_such_route", note_id=uuid4())


def test_a_path_is_worked_out_once_per_app_and_route() -> None:
    app = app_with_routes()
    for _ in range(2):
        location(request_to(app), "read_note", note_id=uuid4())
        location(request_to(app), "read_tagged", tag_id=uuid4())
        location(request_to(app), "read_named", name="tea")
    templates = _TEMPLATES[app]
    # one template per route, with a stand-in UUID for the id
    template = templates[("read_note", "note_id")]
    assert template is not None
    path, (stand_in,) = template
    assert path == f"/api/notes/{stand_in}"
    # a convertor that changes the UUID's text: the full lookup every time
    assert templates[("read_tagged", "tag_id")] is None
    # text is never put in from a template
    assert ("read_named", "name") not in templates


@pytest.mark.parametrize("method", ["PUT", "OPTIONS", "HEAD"])
async def test_a_405_allows_every_method_of_the_path(
    settings: Settings, method: str
) -> None:
    """Starlette named the first matching route's methods only: `Allow: GET`."""
    app = create_app(settings)
    group = RouterGroup(prefix="/api")
    router = APIRouter(prefix="/allow-probes")

    @router.get("")
    async def list_probes() -> list[str]:
        return []

    @router.post("")
    async def create_probe() -> str:
        return ""

    @router.delete("/{probe_id}")
    async def delete_probe(probe_id: str) -> None: ...

    group.include_router(router)
    group.include_in(app)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.request(method, "/api/allow-probes")
        other_path = await client.request(method, "/api/allow-probes/1")

    assert response.status_code == 405
    assert response.headers["allow"] == "GET, POST"
    assert other_path.headers["allow"] == "DELETE"
    if method != "HEAD":
        assert response.json() == {"detail": "Method Not Allowed"}


def test_add_reason_lists_every_reason_for_a_status() -> None:
    busy = {"description": "Busy", "headers": {"Retry-After": {"schema": {}}}}
    full = {"description": "Full", "content": {"application/json": {}}}
    responses: Responses = {404: {"description": "Gone"}}

    once = add_reason(responses, 503, busy)
    assert once == {404: {"description": "Gone"}, 503: busy}
    twice = add_reason(once, 503, full)
    assert twice[503] == {
        "description": "Any of:\n- Busy\n- Full",
        "headers": busy["headers"],
        "content": full["content"],
    }
    # a reason listed already changes nothing; no dict given is changed
    assert add_reason(twice, 503, busy) == twice
    assert add_reason(twice, 503, full) == twice
    assert once == {404: {"description": "Gone"}, 503: busy}
    assert busy == {"description": "Busy", "headers": {"Retry-After": {"schema": {}}}}

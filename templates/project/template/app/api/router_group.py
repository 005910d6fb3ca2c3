"""`RouterGroup`: routers that share a prefix, their routes added to the app itself.

FastAPI (0.160 and later) includes routers lazily: a request is matched through
every router that includes another, level by level, and on each level FastAPI
checks the whole subtree for changes. Each level costs every request of the app
CPU: measured in-process on a route two routers down, 94 µs a request against
60 µs with each router included in the app itself (a bare FastAPI app with one
route: 39 µs). With every route of the app added to the app itself, none left
in an included router, a database endpoint's requests ran 10% fewer instructions,
GET and POST, than with each router included in the app.

A `RouterGroup` is written like a router, `api_router.include_router(...)`, and
`include_in(app)` adds each router's routes to the app itself, with the group's
prefix and responses, the way FastAPI included routers before 0.160: the app's
OpenAPI schema is the same as with `app.include_router`. A router is included
with `app.include_router` instead when its routes are not all `APIRoute`s (a
websocket route, a mount, a router it includes) or when it is given options other
than `prefix`, `responses`, `tags` and `dependencies`. Routes are taken when
`include_in` runs: add them to their router before `create_app`.
"""

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.params import Depends
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api.responses import Responses

# What `include_in` can apply to each route itself; other options of
# `FastAPI.include_router` make it include that router with FastAPI's own.
ROUTE_OPTIONS = frozenset({"tags", "dependencies"})

# What `_add_route` passes on unchanged: each is both an `add_api_route` parameter
# and the `APIRoute` attribute holding the value the route was declared with.
COPIED_AS_THEY_ARE = (
    "response_model",
    "status_code",
    "summary",
    "description",
    "response_description",
    "deprecated",
    "methods",
    "operation_id",
    "response_model_include",
    "response_model_exclude",
    "response_model_by_alias",
    "response_model_exclude_unset",
    "response_model_exclude_defaults",
    "response_model_exclude_none",
    "include_in_schema",
    "response_class",
    "name",
    "callbacks",
    "openapi_extra",
    "generate_unique_id_function",
    "strict_content_type",
    "max_body_size",
    "form_limits",
)


class RouterGroup:
    """Routers added to the app with a shared prefix and shared responses."""

    def __init__(self, *, prefix: str = "", responses: Responses | None = None) -> None:
        self.prefix = prefix
        self.responses: Responses = dict(responses or {})
        self._routers: list[tuple[APIRouter, str, Responses, dict[str, Any]]] = []

    def include_router(
        self,
        router: APIRouter,
        *,
        prefix: str = "",
        responses: Responses | None = None,
        **options: Any,
    ) -> None:
        """Add `router`; the options are those of `FastAPI.include_router`."""
        self._routers.append((router, prefix, dict(responses or {}), options))

    def include_in(self, app: FastAPI) -> None:
        """Add every router's routes to `app`, in the order the routers were added."""
        for router, prefix, responses, options in self._routers:
            merged = {**self.responses, **responses}
            flat = options.keys() <= ROUTE_OPTIONS and all(
                isinstance(route, APIRoute) for route in router.routes
            )
            if not flat:
                app.include_router(
                    router, prefix=self.prefix + prefix, responses=merged, **options
                )
                continue
            for route in router.routes:
                assert isinstance(route, APIRoute)  # checked above
                _add_route(
                    app,
                    route,
                    prefix=self.prefix + prefix,
                    responses=merged,
                    tags=options.get("tags") or [],
                    dependencies=options.get("dependencies") or [],
                )


def _add_route(
    app: FastAPI,
    route: APIRoute,
    *,
    prefix: str,
    responses: Responses,
    tags: list[Any],
    dependencies: Sequence[Depends],
) -> None:
    """Add `route` to the app under `prefix`, as `app.include_router` once did.

    `route` already holds its own router's prefix, tags, dependencies and responses
    (FastAPI merges them when the route is declared); the group's and the include's
    are added here, in the order FastAPI adds them.
    """
    app.router.add_api_route(
        prefix + route.path,
        route.endpoint,
        tags=[*tags, *route.tags],
        dependencies=[*dependencies, *route.dependencies],
        responses={**responses, **route.responses},
        route_class_override=type(route),
        **{option: getattr(route, option) for option in COPIED_AS_THEY_ARE},
    )


def api_routes(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every `APIRoute` of `routes`, those of routers included in them too.

    `RouterGroup` adds its routes to the app itself; a router included with
    `app.include_router` stays a router in `app.routes` (FastAPI 0.160 and later),
    its own routes in its `original_router`.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        router = getattr(route, "original_router", None)
        if router is not None:
            yield from api_routes(router.routes)

"""How an upstream's failure reaches clients: 502 or 504, never a 500.

An endpoint that calls an upstream through a client of `app.clients` and lets its
`UpstreamError` escape answered 500, with "Exception in ASGI application" and a
traceback in the log: to its client, a bug of this app. It answers 504 Gateway
Timeout when no answer came in time (`UpstreamTimeout`: the client's timeouts or
its deadline, retries included) and 502 Bad Gateway for any other failure (no
connection, an error status, an answer that is not JSON). The answer names neither
the upstream's URL nor what it said, which may carry credentials or other people's
data; the log has the error's message (method and URL, without the query string).

Every route that depends on a client (a dependency returning a `BaseClient`, as
`app.api.deps` gives each) documents both statuses in its OpenAPI responses, with
the route's other reasons for them (`app.api.responses.add_reason`). A 502 or 504
the route's router was included with (`app.include_router(router, responses=...)`)
is kept beside these: FastAPI documents a route with the include's responses under
the route's own, so one the route documents would hide the include's. An endpoint
that should answer otherwise (404 when the upstream said 404, say) catches
`UpstreamError` itself.
"""

import inspect
import logging
import typing
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from app.api.responses import Responses, add_reason, error
from app.clients import BaseClient, UpstreamError, UpstreamTimeout

logger = logging.getLogger(__name__)

UPSTREAM_RESPONSES: Responses = {
    status.HTTP_502_BAD_GATEWAY: error("An upstream failed or answered an error"),
    status.HTTP_504_GATEWAY_TIMEOUT: error("An upstream did not answer in time"),
}


def install_upstream_errors(app: FastAPI) -> None:
    """Answer `UpstreamError` with 502 or 504, documented on routes using a client.

    Call it after the routers are included: it documents the routes there are.
    """
    app.add_exception_handler(UpstreamError, _bad_gateway)
    for route, included in _routes(app.routes, {}):
        if _uses_client(route.dependant):
            for code, response in UPSTREAM_RESPONSES.items():
                _add_reason(route, included, int(code), response)


def _routes(
    routes: Sequence[BaseRoute], included: Responses
) -> Iterator[tuple[APIRoute, Responses]]:
    """Every `APIRoute` of `routes`, those of included routers too, with the
    responses the `include_router` calls above it document.

    A router included with `app.include_router` stays a router in `app.routes`
    (FastAPI 0.160 and later), its own routes in its `original_router`.
    """
    for route in routes:
        if isinstance(route, APIRoute):
            yield route, included
        router = getattr(route, "original_router", None)
        if router is not None:
            context = getattr(route, "include_context", None)
            inherited = {**included, **getattr(context, "responses", {})}
            yield from _routes(router.routes, inherited)


def _add_reason(
    route: APIRoute, included: Responses, code: int, response: dict[str, Any]
) -> None:
    """Document `response` as one more reason for `code` on `route`, beside the
    route's own reasons or, when it has none, its include's."""
    key: int | str = code
    responses = route.responses
    if code not in responses and str(code) in responses:
        key = str(code)
    elif code not in responses:
        inherited = included.get(code, included.get(str(code)))
        if inherited is not None:
            responses = {**responses, code: inherited}
    route.responses = add_reason(responses, key, response)


def _uses_client(dependant: Dependant) -> bool:
    return any(
        _gives_client(dependency.call) or _uses_client(dependency)
        for dependency in dependant.dependencies
    )


def _gives_client(call: Callable[..., Any] | None) -> bool:
    """Whether `call` returns (or yields) a client of `app.clients`."""
    if call is None:
        return False
    if isinstance(call, type):
        return issubclass(call, BaseClient)
    try:
        returned = inspect.signature(call, eval_str=True).return_annotation
    except Exception:  # no signature, or annotations that do not evaluate
        return False
    # A dependency with `yield` is annotated `AsyncIterator[Client]` or the like.
    candidates = [returned, *typing.get_args(returned)]
    return any(
        isinstance(candidate, type) and issubclass(candidate, BaseClient)
        for candidate in candidates
    )


async def _bad_gateway(request: Request, exc: Exception) -> JSONResponse:
    timed_out = isinstance(exc, UpstreamTimeout)
    # The path as the client sent it (still %-encoded): decoded, a `%0A` in it would
    # start a log line of the client's making.
    path = request.scope.get("raw_path") or request.url.path.encode()
    logger.warning(
        "Upstream failure for %s %s: %s", request.method, path.decode("latin-1"), exc
    )
    if timed_out:
        return JSONResponse(
            {"detail": "An upstream service did not answer in time."},
            status_code=status.HTTP_504_GATEWAY_TIMEOUT,
        )
    return JSONResponse(
        {"detail": "An upstream service failed or answered an error."},
        status_code=status.HTTP_502_BAD_GATEWAY,
    )

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
`app.api.deps` gives each) documents both statuses in its OpenAPI responses. An
endpoint that should answer otherwise (404 when the upstream said 404, say) catches
`UpstreamError` itself.
"""

import inspect
import logging
import typing
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse

from app.api.responses import Responses, add_reason, error
from app.api.router_group import api_routes
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
    for route in api_routes(app.routes):
        if _uses_client(route.dependant):
            for code, response in UPSTREAM_RESPONSES.items():
                route.responses = add_reason(route.responses, code, response)


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

"""How database trouble reaches clients and operators.

- An exhausted connection pool, a database that stops answering, a connection the
  database closed (it restarted), a statement past `{{ env("database_statement_timeout") }}` or
  another passing trouble (`app.db.engine`), or SQLite's write lock held too long
  answer 503 with `Retry-After`, not 500, and every route that
  uses a database session documents that 503 in its OpenAPI responses, with the
  route's other reasons for a 503 (`app.api.responses.add_reason`). A 503 the
  route's router was included with (`app.include_router(router, responses=...)`)
  is kept beside it: FastAPI documents a route with the include's responses under
  the route's own, so the 503 the route documents would hide the include's.
- A database that does not answer at start-up stops the server with one line
  naming it (never its password) instead of a traceback.
"""

import logging
from collections.abc import Iterator, Sequence
from typing import Any

from fastapi import FastAPI, Request, status
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.deps import get_db_session
from app.api.responses import Responses, add_reason, error_content
from app.db.engine import DatabaseUnavailableError

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 2
UNAVAILABLE = {
    "description": "The database is unavailable or busy (no pooled connection came "
    "free in time, or it did not answer); retry after the seconds in the "
    "`Retry-After` header",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    "content": error_content(),
}


def install_database_errors(app: FastAPI) -> None:
    """Add the 503 handlers, their OpenAPI entries and one-line start-up errors.

    Call it after the routers are included: it documents the routes there are.
    """
    app.add_exception_handler(PoolTimeoutError, _unavailable)
    app.add_exception_handler(DBAPIError, _unavailable_or_bug)
    for route, included in _routes(app.routes, {}):
        if _uses_session(route.dependant):
            # Another reason for a 503 the route may document already (a body
            # too large for JSON_IN_FLIGHT_MAX_BYTES now): both are listed.
            _add_reason(route, included, status.HTTP_503_SERVICE_UNAVAILABLE, UNAVAILABLE)
    app.add_middleware(OneLineStartupErrors)


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


def _uses_session(dependant: Dependant) -> bool:
    return any(
        dependency.call is get_db_session or _uses_session(dependency)
        for dependency in dependant.dependencies
    )


async def _unavailable_or_bug(request: Request, exc: Exception) -> JSONResponse:
    """503 for the database's trouble; any other database error stays a 500.

    OperationalError: the database stopped answering, or SQLite's lock timed out.
    `connection_invalidated`: the connection was closed under the request (the
    database restarted, or dropped it); SQLAlchemy then renews the pool's
    connections, so the retry the 503 asks for finds a working one.
    """
    if isinstance(exc, OperationalError) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated
    ):
        return await _unavailable(request, exc)
    raise exc


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    # The driver's message can name a table or a lock: log it, do not send it. The
    # path as the client sent it (still %-encoded): decoded, a `%0A` in it would
    # start a log line of the client's making.
    path = request.scope.get("raw_path") or request.url.path.encode()
    logger.warning(
        "Database unavailable for %s %s: %s",
        request.method,
        path.decode("latin-1"),
        exc,
    )
    return JSONResponse(
        {"detail": "The database is unavailable or busy; try again shortly."},
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class OneLineStartupErrors:
    """Report a `DatabaseUnavailableError` at start-up as its message alone.

    The server logs whatever the app reports when its lifespan fails to start:
    Starlette reports the whole traceback. For an error whose message already says
    what is wrong and what to do, that is noise around the one useful line.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_one_line(message: Message) -> None:
            if message["type"] == "lifespan.startup.failed":
                message = {**message, "message": _last_line(message.get("message", ""))}
            await send(message)

        await self.app(scope, receive, send_one_line)


def _last_line(report: Any) -> Any:
    prefix = f"{DatabaseUnavailableError.__module__}.{DatabaseUnavailableError.__name__}: "
    lines = str(report).strip().splitlines()
    if lines and lines[-1].startswith(prefix):
        return lines[-1].removeprefix(prefix)
    return report

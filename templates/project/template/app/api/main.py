"""Every router of the app, in one place: `create_app` calls `include_routers`."""

from fastapi import FastAPI

from app.api.responses import EDGE_RESPONSES
from app.api.router_group import RouterGroup
from app.api.routes import health, jobs

# /health stays at the root for load balancers; resource routers live under /api.
root_router = RouterGroup()
root_router.include_router(health.router)
api_router = RouterGroup(prefix="/api", responses=EDGE_RESPONSES)
api_router.include_router(jobs.router)


def include_routers(app: FastAPI) -> None:
    """Add every router's routes to the app itself (see RouterGroup)."""
    root_router.include_in(app)
    api_router.include_in(app)

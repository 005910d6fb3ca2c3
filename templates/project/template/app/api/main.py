"""Every router of the app, in one place: `create_app` calls `include_routers`."""

from fastapi import FastAPI

from app.api.responses import EDGE_RESPONSES
from app.api.router_group import RouterGroup
from app.api.routes import health, jobs

# Resource routers live under /api; /health stays at the root for load balancers.
api_router = RouterGroup(prefix="/api", responses=EDGE_RESPONSES)
api_router.include_router(jobs.router)


def include_routers(app: FastAPI) -> None:
    """Add every router to the app: the /api routers' routes to the app itself."""
    app.include_router(health.router)
    api_router.include_in(app)

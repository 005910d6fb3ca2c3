from fastapi import APIRouter

from app.api.responses import EDGE_RESPONSES
from app.api.routes import health, jobs

# Resource routers live under /api; /health stays at the root for load balancers.
api_router = APIRouter(prefix="/api", responses=EDGE_RESPONSES)
api_router.include_router(jobs.router)

router = APIRouter()
router.include_router(health.router)
router.include_router(api_router)

"""`fastasync check`: finds the async mistakes of any FastAPI code base (blocking calls
reached from `async def` through helpers in other modules, HTTP clients built per
request, ...).

It reads code with `ast` only and imports nothing of the generators or the engine:
checking stays fast and needs no template machinery.
"""

from fastasync_cli.check.analysis import Finding
from fastasync_cli.check.config import Settings
from fastasync_cli.check.runner import Result, run_check

__all__ = ["Finding", "Result", "Settings", "run_check"]

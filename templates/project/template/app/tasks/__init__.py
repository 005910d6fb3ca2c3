"""The registry of tasks that can run as background jobs.

Each task lives in its own module here (`fastasync add task NAME` writes one):

    class SummarizeInput(BaseModel):
        text: str

    async def summarize(payload: SummarizeInput) -> dict[str, str]:
        ...

    task = TaskSpec(
        name="summarize", input_model=SummarizeInput, func=summarize, kind="io"
    )

and is listed in `TASKS` below, which gives it a `POST /api/jobs/{name}` route.
Use `kind="io"` for an `async def` that awaits network or disk I/O, and
`kind="cpu"` for a plain `def` doing CPU-heavy work (it runs in a worker process).
Work that must survive a restart, or run for hours, belongs in Celery.
"""

from app.jobs import TaskSpec

TASKS: list[TaskSpec] = []

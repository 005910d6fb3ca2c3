"""Make a generated project to benchmark, and add what the benchmarks need to it.

`generate` runs `fastasync new DIR --yes --no-docker --ci none` (falling back to
rendering templates/project with copier when the CLI cannot). The additions follow
the shapes the template defines, the way a user would write them:

- `add_bench_client`: app/clients/bench_upstream.py, a `BaseClient` subclass; one
  instance opened in the lifespan (app/main.py's exit stack, next to the job runner),
  a `BenchUpstreamDep` in app/api/deps.py, and app/api/routes/bench.py with
  `GET /bench/call`, registered in app/api/main.py.
- `add_cpu_task`: app/tasks/bench_cpu.py, a `kind="cpu"` `TaskSpec` named `cpu`
  (`POST /api/jobs/cpu` with `{"n": ...}`), listed in `app.tasks.TASKS`.
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import _bench as b

sys.path.insert(0, str(b.HERE / "servers"))
import cpu_work

PROJECT_NAME = "benchapp"

CLIENT_MODULE = '''\
"""The benchmark's upstream (benchmarks/client_load.py), reached like any upstream."""

import os

from app.clients.base import BaseClient, ClientConfig
from app.core.config import Settings


class BenchUpstreamClient(BaseClient):
    @classmethod
    def from_settings(cls, settings: Settings) -> "BenchUpstreamClient":
        return cls(
            ClientConfig(
                base_url=os.environ["BENCH_UPSTREAM_URL"],
                max_connections=int(os.environ.get("BENCH_POOL", "100")),
            )
        )

    async def call(self) -> dict[str, object]:
        return await self.get("/")
'''

# The same upstream through a bare shared aiohttp.ClientSession, as
# servers/client_app.py's `aiohttp` variant uses it: dropped into a copy of the
# generated project (variant `generated_aiohttp`), it leaves the app around the
# call unchanged, so the two variants differ by the client alone.
RAW_AIOHTTP_CLIENT_MODULE = '''\
"""The benchmark's upstream through a bare shared aiohttp.ClientSession."""

import os
from types import TracebackType

import aiohttp

from app.core.config import Settings


class BenchUpstreamClient:
    def __init__(self, url: str, pool: int) -> None:
        self.url = url
        self.pool = pool

    @classmethod
    def from_settings(cls, settings: Settings) -> "BenchUpstreamClient":
        return cls(
            os.environ["BENCH_UPSTREAM_URL"], int(os.environ.get("BENCH_POOL", "100"))
        )

    async def __aenter__(self) -> "BenchUpstreamClient":
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.pool, limit_per_host=self.pool),
            timeout=aiohttp.ClientTimeout(total=30, sock_connect=5),
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.session.close()

    async def call(self) -> dict[str, object]:
        async with self.session.get(self.url) as response:
            response.raise_for_status()
            answer: dict[str, object] = await response.json()
            return answer
'''

DEPS_ADDITION = '''

async def get_bench_upstream(request: Request) -> BenchUpstreamClient:
    """The app's client for the benchmark upstream."""
    return request.state.bench_upstream


BenchUpstreamDep = Annotated[BenchUpstreamClient, Depends(get_bench_upstream)]
'''

ROUTE_MODULE = '''\
"""`GET /bench/call`: one call to the benchmark upstream through its shared client."""

from fastapi import APIRouter

from app.api.deps import BenchUpstreamDep

router = APIRouter(prefix="/bench", tags=["bench"])


@router.get("/call")
async def call(client: BenchUpstreamDep) -> dict[str, object]:
    return await client.call()
'''

CPU_TASK_MODULE = '''\
"""A CPU-heavy task for benchmarks/loop_under_cpu.py: pure Python, holds the GIL."""

from pydantic import BaseModel

from app.jobs import TaskSpec


class CpuInput(BaseModel):
    n: int


{burn}

def cpu(payload: CpuInput) -> dict[str, int]:
    return {{"total": burn(payload.n)}}


task = TaskSpec(name="cpu", input_model=CpuInput, func=cpu, kind="cpu")
'''


def generate(dest: Path, *, fastasync: str | None = None) -> Path:
    """A new project in `dest`, by the CLI, or by copier from templates/project."""
    try:
        exe = b.find_fastasync(fastasync)
    except b.BenchError as exc:
        cli_error = str(exc)
    else:
        cmd = [exe, "new", str(dest), "--yes", "--no-docker", "--ci", "none"]
        cmd += ["--name", PROJECT_NAME]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            # `fastasync new` gives an SQLite database, and the app starts only once it
            # is migrated (app/db/revision.py): its own file, as its README says.
            migrate(_check_project(dest), {})
            return dest
        cli_error = proc.stderr or proc.stdout
    print(
        f"note: `fastasync new` failed, rendering templates/project with copier:\n"
        f"{cli_error.strip()}",
        file=sys.stderr,
    )
    return _copier(dest)


def _copier(dest: Path) -> Path:
    try:
        import copier
    except ImportError as exc:
        raise b.BenchError("neither `fastasync new` nor copier is available") from exc
    copier.run_copy(
        str(b.REPO / "templates" / "project"),
        str(dest),
        data={
            "project_name": PROJECT_NAME,
            "package_name": PROJECT_NAME,
            "docker": False,
            "ci": "none",
        },
        defaults=True,
        quiet=True,
        unsafe=True,
    )
    return _check_project(dest)


def _check_project(dest: Path) -> Path:
    for rel in ("app/main.py", "app/api/deps.py", "app/api/main.py"):
        if not (dest / rel).is_file():
            raise b.BenchError(f"the generated project has no {rel} (template changed?)")
    return dest


def _edit(path: Path, pattern: str, replacement: str, what: str) -> None:
    text = path.read_text()
    new, count = re.subn(pattern, replacement, text, count=1, flags=re.MULTILINE)
    if count != 1:
        raise b.BenchError(
            f"cannot {what}: no match for {pattern!r} in {path.name}; the template "
            "changed, update benchmarks/_generated.py"
        )
    path.write_text(new)


def add_bench_client(project: Path, *, pool: int = 100) -> None:
    app = project / "app"
    (app / "clients" / "bench_upstream.py").write_text(CLIENT_MODULE)
    # The lifespan: open the client on the exit stack, next to the job runner.
    main = app / "main.py"
    _edit(
        main,
        r"^(\s*)(yield state\n)",
        r'\1state["bench_upstream"] = await stack.enter_async_context(\n'
        r"\1    BenchUpstreamClient.from_settings(settings)\n\1)\n\1\2",
        "open the client in the lifespan",
    )
    _edit(
        main,
        r"^(from app\.api\.main import (?:router|include_routers)\n)",
        r"\1from app.clients.bench_upstream import BenchUpstreamClient\n",
        "import the client in app/main.py",
    )
    deps = app / "api" / "deps.py"
    _edit(
        deps,
        r"^(from app\.core\.config import Settings\n)",
        r"from app.clients.bench_upstream import BenchUpstreamClient\n\1",
        "import the client in app/api/deps.py",
    )
    deps.write_text(deps.read_text() + DEPS_ADDITION)
    (app / "api" / "routes" / "bench.py").write_text(ROUTE_MODULE)
    api_main = app / "api" / "main.py"
    _edit(
        api_main,
        r"^from app\.api\.routes import (.*)$",
        r"from app.api.routes import \1, bench",
        "import the bench router",
    )
    text = api_main.read_text()
    if "root_router = RouterGroup(" in text:  # router groups: the app adds their routes
        _edit(
            api_main,
            r"^(root_router\.include_router\(health\.router\)\n)",
            r"\1root_router.include_router(bench.router)\n",
            "include the bench router",
        )
    elif "def include_routers(" in text:  # the app includes each router itself
        _edit(
            api_main,
            r"^(    app\.include_router\(health\.router\)\n)",
            r"\1    app.include_router(bench.router)\n",
            "include the bench router",
        )
    else:  # projects made before include_routers: a root router includes the others
        api_main.write_text(text + "router.include_router(bench.router)\n")


def add_cpu_task(project: Path) -> None:
    tasks = project / "app" / "tasks"
    burn = inspect.getsource(cpu_work.burn)
    (tasks / "bench_cpu.py").write_text(CPU_TASK_MODULE.format(burn=burn))
    init = tasks / "__init__.py"
    init.write_text(
        init.read_text()
        + "\nfrom app.tasks import bench_cpu  # noqa: E402\n\n"
        + "TASKS.append(bench_cpu.task)\n"
    )


def serve_command(
    project: Path, port: int, *, upstream_url: str | None = None, pool: int = 100
) -> tuple[list[str], dict[str, str], Path]:
    """uvicorn (uvloop, httptools, 1 worker) serving the project's `app.main:app`."""
    cmd = b.uvicorn_cmd("app.main:app", port, project)
    env = {"LOG_LEVEL": "WARNING", "BENCH_POOL": str(pool)}
    if upstream_url is not None:
        env["BENCH_UPSTREAM_URL"] = upstream_url
    return cmd, env, project


def raw_aiohttp_copy(project: Path) -> Path:
    """A copy of `project` whose bench client is a bare aiohttp.ClientSession."""
    import shutil

    copy = project.with_name(project.name + "-raw-aiohttp")
    shutil.copytree(project, copy)
    (copy / "app" / "clients" / "bench_upstream.py").write_text(RAW_AIOHTTP_CLIENT_MODULE)
    return copy


def patched_copy(project: Path, replacements: list[str]) -> Path:
    """A copy of `project` with files replaced: each item is `REL_PATH=FILE`."""
    import shutil

    patched = project.with_name(project.name + "-patched")
    shutil.copytree(project, patched)
    for item in replacements:
        rel, sep, src = item.partition("=")
        source = Path(src)
        if not sep or not source.is_file():
            raise b.BenchError(f"--replace {item!r}: use REL_PATH=FILE, FILE existing")
        target = patched / rel
        if not target.is_file():
            raise b.BenchError(f"--replace {item!r}: the project has no {rel}")
        shutil.copyfile(source, target)
    return patched


def generate_with_endpoint(
    dest: Path, *, db: str, endpoint: list[str], fastasync: str | None = None
) -> Path:
    """`fastasync new DEST --db DB` then `fastasync add endpoint ENDPOINT...` in it."""
    exe = b.find_fastasync(fastasync)
    steps = [
        [exe, "new", str(dest), "--yes", "--no-docker", "--ci", "none", "--db", db],
        [exe, "add", "endpoint", *endpoint, "--project", str(dest)],
    ]
    for cmd in steps:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise b.BenchError(
                f"`{' '.join(cmd[1:])}` failed ({proc.returncode}):\n"
                f"{(proc.stderr or proc.stdout).strip()}"
            )
    return _check_project(dest)


def migrate(project: Path, env: dict[str, str]) -> None:
    """`alembic upgrade head` in the project, against the database in `env`."""
    proc = subprocess.run(
        [sys.executable, "-m", "alembic", "upgrade", "head"],
        cwd=project,
        capture_output=True,
        text=True,
        env={**_clean_environ(), **env},
        check=False,
    )
    if proc.returncode != 0:
        raise b.BenchError(f"alembic upgrade head failed:\n{proc.stderr or proc.stdout}")


def _clean_environ() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_")}

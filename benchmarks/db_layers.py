"""Where a generated GET's CPU goes: the generated project with its layers taken off.

    python benchmarks/db_layers.py [--measure instructions|cpu] [--fastasync PATH]

The issue's target is >= 0.6x the plain asyncpg handler's requests/s. Under wrk both
apps are CPU-bound, so the target asks the generated app's CPU per request to be at
most 1/0.6 = 1.67x the floor's. This benchmark says how far each layer of the
generated request path is from that, by counting (`db_cpu.py`'s method: valgrind's
instruction count, or CPU time with `--measure cpu`) `GET /api/items/{id}` in copies
of one generated project with a layer taken off, cumulatively:

  generated      `fastasync new --db postgres` + `add endpoint items name:str price:float`
  no-middleware  without its middlewares (trusted hosts, body limit, start-up errors)
  no-session     that, and the GET reads through an `AsyncConnection` of the read
                 engine instead of an ORM `AsyncSession` (the repository is unchanged:
                 `execute` answers the same rows)
  raw-driver     that, and the SELECT sent to asyncpg itself (the connection still
                 checked out of SQLAlchemy's pool): hand-written, dialect-specific SQL

Each copy is a benchmark's experiment, not a change to the template: the middlewares
guard the app, the session is what the issue asks for, and the raw driver is what the
SQL repositories are meant to spare their users. The edits are anchored on the
template's text; when the template changes under them, this script stops and says
which anchor is gone.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import _bench as b

sys.path.insert(0, str(b.REPO / "templates" / "db" / "tests"))
sys.path.insert(0, str(b.HERE / "servers"))

LAYERS = ("no-middleware", "no-session", "raw-driver")

# (file, anchor, replacement) per layer; each layer also has the ones before it
EDITS: dict[str, list[tuple[str, str, str]]] = {
    "no-middleware": [
        ("app/main.py", "    add_middleware(app, settings)\n    return app", "    return app"),
        ("app/main.py", "    install_database_errors(app)\n", ""),
    ],
    "no-session": [
        (
            "app/db/database.py",
            "        self.read_sessions = async_sessionmaker(\n"
            "            read_only_engine(self.engine), expire_on_commit=False\n"
            "        )",
            "        self.read_engine = read_only_engine(self.engine)\n"
            "        self.read_sessions = async_sessionmaker(\n"
            "            self.read_engine, expire_on_commit=False\n"
            "        )",
        ),
        (
            "app/api/deps.py",
            "    session = database.read_session() if read_only else database.session()\n",
            "    if read_only:\n"
            "        try:\n"
            "            async with database.read_engine.connect() as connection:\n"
            "                yield connection  # type: ignore[misc]\n"
            "        finally:\n"
            "            database.end_turn()\n"
            "        return\n"
            "    session = database.session()\n",
        ),
    ],
    "raw-driver": [
        (
            "app/repositories/items.py",
            "        row = (\n"
            '            await self._session.execute(SELECT_BY_ID, {"_id": item_id})\n'
            "        ).one_or_none()\n"
            "        return None if row is None else _read(row)",
            "        raw = await self._session.get_raw_connection()\n"
            "        record = await raw.driver_connection.fetchrow(\n"
            '            "SELECT id, name, price, created_at, updated_at FROM items"\n'
            '            " WHERE id = $1",\n'
            "            item_id,\n"
            "        )\n"
            "        return None if record is None else ItemRead.model_validate(dict(record))",
        ),
    ],
}


def layered_copies(project: Path) -> dict[str, Path]:
    """A copy of `project` per layer, each with that layer's edits and the ones before."""
    copies: dict[str, Path] = {}
    edits: list[tuple[str, str, str]] = []
    for layer in LAYERS:
        edits = [*edits, *EDITS[layer]]
        copy = project.with_name(f"{project.name}-{layer}")
        shutil.copytree(project, copy)
        for rel, anchor, replacement in edits:
            path = copy / rel
            text = path.read_text()
            if text.count(anchor) != 1:
                raise b.BenchError(
                    f"{layer}: {rel} no longer holds the text this benchmark edits "
                    f"({anchor.strip().splitlines()[0]!r}); update EDITS in db_layers.py"
                )
            path.write_text(text.replace(anchor, replacement))
        copies[layer] = copy
    return copies


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--measure", choices=("instructions", "cpu"), default="instructions")
    parser.add_argument("--fastasync", help="the fastasync executable to use")
    parser.add_argument("--jobs", type=int, default=b.cpu_count(), help="children at once")
    parser.add_argument("--json", nargs="?", const="", help="write results as JSON")
    args = parser.parse_args()
    return b.main_guard(lambda: run(args))


def run(args: argparse.Namespace) -> int:
    import _generated as g
    import db_cpu

    with tempfile.TemporaryDirectory(prefix="db-layers-") as tmp_name:
        b.log("generating a project ...")
        project = g.generate_with_endpoint(
            Path(tmp_name) / "benchapp",
            db="postgres",
            endpoint=db_cpu.ITEMS_ENDPOINT,
            fastasync=args.fastasync,
        )
        copies = layered_copies(project)
        names = {str(path): layer for layer, path in copies.items()}
        # db_cpu.py's own run, GET only, the copies given as its folder variants
        cpu_args = argparse.Namespace(
            measure=args.measure,
            variants=",".join(["floor", "generated", *(str(p) for p in copies.values())]),
            project=project,
            concurrency=20,
            warmup=100,
            counts=[100, 400],
            jobs=args.jobs,
            requests=500,
            batches=10,
            rounds=3,
            app_cpus="0",
            db_cpus="1",
            fastasync=args.fastasync,
            ops="GET",
            json=args.json,
            labels=names,
        )
        return db_cpu.run(cpu_args)


if __name__ == "__main__":
    sys.exit(main())

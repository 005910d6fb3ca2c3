"""`fastasync add task NAME [--kind io|cpu] [--backend local|celery]`: a background job."""

from __future__ import annotations

from dataclasses import dataclass

from fastasync_cli.engine import edits
from fastasync_cli.engine.names import Name
from fastasync_cli.engine.project import Manifest
from fastasync_cli.errors import BadOptionError, FastasyncError
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.component_edits import PythonEdit, import_edit


@dataclass(frozen=True)
class TaskOptions:
    name: Name
    kind: str = "io"
    backend: str = "local"
    # Celery only: running the task twice does no harm, so a job whose worker dies
    # is acknowledged late and run again.
    idempotent: bool = False
    force: bool = False


def plan_task(options: TaskOptions, manifest: Manifest) -> ComponentPlan:
    """Plan the task module and its tests, and register it in app/tasks/__init__.py."""
    name = options.name
    builder = ComponentPlan(manifest, options.force)
    builder.check_name(name, "task")
    if options.backend == "celery" and not manifest.project.get("celery"):
        raise FastasyncError(
            "This project has no Celery set up, so it cannot run a celery task.",
            "Add Celery first: fastasync add celery",
        )
    if options.idempotent and options.backend != "celery":
        raise BadOptionError(
            "--idempotent is for Celery tasks: local jobs are never run twice.",
            "Add --backend celery, or leave out --idempotent.",
        )
    context = {
        "name": name,
        "kind": options.kind,
        "backend": options.backend,
        "idempotent": options.idempotent,
    }
    folder = "task" if options.backend == "local" else "celery"
    builder.create(
        f"app/tasks/{name.snake}.py", builder.render(folder, f"{options.kind}.py.jinja", context)
    )
    builder.create(
        f"tests/tasks/test_{name.snake}.py", builder.render(folder, "test_task.py.jinja", context)
    )
    registry = "TASKS" if options.backend == "local" else "CELERY_TASKS"
    # A task moved to the other backend (with --force) leaves the other registry;
    # only then is taking it out one of the lines to add by hand.
    other = "CELERY_TASKS" if options.backend == "local" else "TASKS"
    moved = any(
        c["kind"] == "task"
        and c.get("name") == name.snake
        and c.get("backend", "local") != options.backend
        for c in manifest.components
    )
    builder.edit_python(
        "app/tasks/__init__.py",
        [
            PythonEdit(
                lambda m: edits.ensure_list_element_absent(m, other, f"{name.snake}.task"),
                f"# take {name.snake}.task out of the {other} list" if moved else "",
            ),
            import_edit("app.tasks", name.snake),
            PythonEdit(
                lambda m: edits.ensure_list_element(m, registry, f"{name.snake}.task"),
                f"{name.snake}.task,  # in the {registry} list",
            ),
        ],
    )
    entry: dict[str, object] = {
        "kind": "task",
        "name": name.snake,
        "task_kind": options.kind,
        "backend": options.backend,
    }
    if options.backend == "celery":
        entry["idempotent"] = options.idempotent
    builder.record(entry)
    return builder

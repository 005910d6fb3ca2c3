"""The names `add` refuses because the project already has the files they would get."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest

from fastasync_cli.engine.names import component_name
from fastasync_cli.engine.project import Manifest
from fastasync_cli.engine.render import templates_root
from fastasync_cli.errors import BadNameError
from fastasync_cli.generators.component_names import check_component_name

# Where a component of each kind writes its modules: `{}` is its name.
COMPONENT_FILES = {
    "endpoint": (
        "app/api/routes/{}.py",
        "app/schemas/{}.py",
        "app/repositories/{}.py",
        "app/models/{}.py",
        "tests/api/routes/test_{}.py",
    ),
    "client": ("app/clients/{}.py", "tests/clients/test_{}.py"),
    "task": ("app/tasks/{}.py", "tests/tasks/test_{}.py"),
}


def _files_of_new_and_add() -> list[PurePosixPath]:
    """The paths of the files `new`, `add db` and `add celery` write (from their
    templates: `new`'s folder tree as is, `add`'s pieces as they are written)."""
    root = templates_root()
    paths = [
        PurePosixPath(p.relative_to(root / "project" / "template").as_posix())
        for p in (root / "project" / "template").rglob("*.py*")
    ]
    paths += [
        PurePosixPath(p.relative_to(root / "db").as_posix()) for p in (root / "db").rglob("*.py")
    ]
    paths += [
        PurePosixPath(rel)
        for rel in (
            "app/api/routes/celery_jobs.py",
            "tests/jobs/test_celery_app.py",
        )
    ]
    return [PurePosixPath(str(p).removesuffix(".jinja")) for p in paths]


def _owned_names() -> list[tuple[str, str, PurePosixPath]]:
    owned = []
    for path in _files_of_new_and_add():
        for kind, patterns in COMPONENT_FILES.items():
            for pattern in patterns:
                folder = pattern.partition("{}")[0]
                prefix = PurePosixPath(folder).name if not folder.endswith("/") else ""
                parent = PurePosixPath(folder).parent if prefix else PurePosixPath(folder)
                if path.parent != parent or path.suffix != ".py" or path.stem == "__init__":
                    continue
                if not path.stem.startswith(prefix):
                    continue
                owned.append((kind, path.stem.removeprefix(prefix), path))
    return owned


OWNED = _owned_names()


def test_the_owned_names_are_found() -> None:
    assert ("client", "wire", PurePosixPath("tests/clients/test_wire.py")) in OWNED
    assert ("endpoint", "health", PurePosixPath("app/api/routes/health.py")) in OWNED


@pytest.mark.parametrize(("kind", "name", "path"), OWNED, ids=[str(p) for _, _, p in OWNED])
def test_a_name_whose_file_the_project_has_is_refused(
    tmp_path: Path, kind: str, name: str, path: PurePosixPath
) -> None:
    """`add client wire` planned tests/clients/test_wire.py, the project's own tests
    of the client layer: a conflict, whose hint (--force) replaced them."""
    manifest = Manifest(root=tmp_path, text="", data={"project": {"name": "demo"}})
    with pytest.raises(BadNameError):
        check_component_name(manifest, component_name(name, kind), kind)


def _sample_task_names() -> list[tuple[str, PurePosixPath]]:
    """The names of the tasks the generated tests of jobs mount at /api/jobs/NAME."""
    root = templates_root()
    found = []
    for path in sorted(root.rglob("sample_tasks.py*")):
        for match in re.finditer(r'TaskSpec\(\s*name="([a-z0-9-]+)"', path.read_text()):
            found.append((match.group(1), PurePosixPath(path.relative_to(root).as_posix())))
    return found


SAMPLE_TASKS = _sample_task_names()


def test_the_sample_tasks_are_found() -> None:
    names = {name for name, _ in SAMPLE_TASKS}
    assert {"echo", "primes", "impatient-echo", "flaky"} <= names


@pytest.mark.parametrize(("name", "path"), SAMPLE_TASKS, ids=[f"{n}@{p}" for n, p in SAMPLE_TASKS])
def test_a_sample_task_s_name_is_refused(tmp_path: Path, name: str, path: PurePosixPath) -> None:
    """`add task echo` took the route of the tests' sample task `echo`
    (/api/jobs/echo): 6 of the project's own tests failed, 21 with Celery."""
    manifest = Manifest(root=tmp_path, text="", data={"project": {"name": "demo"}})
    with pytest.raises(BadNameError, match="sample task"):
        check_component_name(manifest, component_name(name, "task"), "task")

"""A file `add` creates, or a folder on its way, that is a symbolic link already:
refused before anything is written, naming the link and where it leads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.helpers import add

CLIENT = ["client", "weather", "--base-url", "https://api.example.com"]


def _tree(root: Path) -> dict[str, str | bytes]:
    """Every name under `root`, links as their targets (never followed)."""
    tree: dict[str, str | bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_symlink():
            tree[rel] = os.readlink(path)
        elif path.is_file():
            tree[rel] = path.read_bytes()
    return tree


@pytest.mark.parametrize(
    ("rel", "command"),
    [
        ("app/api/routes/orders.py", ["endpoint", "orders", "name:str"]),
        ("tests/api/routes/test_orders.py", ["endpoint", "orders", "name:str"]),
        ("app/clients/weather.py", CLIENT),
        ("app/tasks/report.py", ["task", "report"]),
    ],
)
@pytest.mark.parametrize("target", ["gone.py", "../../elsewhere.py", "OUTSIDE", "LOOP"])
def test_a_file_to_create_that_is_a_link_to_nothing_is_refused(
    project: Path, tmp_path: Path, rel: str, command: list[str], target: str
) -> None:
    """The new module was written through the link, to the file it named (`gone.py`
    beside it, or anywhere in the project), while the status line said `create
    app/api/routes/orders.py`; a link that loops crashed with a traceback's message."""
    link = project / rel
    if target == "OUTSIDE":
        target = str(tmp_path / "outside" / "x.py")
    elif target == "LOOP":
        target = link.name
    link.symlink_to(target)
    before = _tree(project)
    result = add(project, *command)
    assert result.exit_code == 1
    what = (
        f"a symbolic link that loops ({target})"
        if target == link.name
        else f"a symbolic link to {target}, which does not exist"
    )
    assert result.stderr.splitlines() == [
        f"error: {rel}, a file fastasync creates, is {what}.",
        f"hint: Nothing was written. Remove the link (rm {rel}), then run the command again.",
    ]
    assert _tree(project) == before
    assert not (tmp_path / "outside").exists()


def test_a_dry_run_refuses_it_too(project: Path) -> None:
    (project / "app/api/routes/orders.py").symlink_to("gone.py")
    result = add(project, "endpoint", "orders", "--dry-run")
    assert result.exit_code == 1
    assert "a file fastasync creates, is a symbolic link to gone.py" in result.stderr


@pytest.mark.parametrize("kind", ["nothing", "loop", "outside"])
def test_a_new_folder_that_is_a_link_is_refused_naming_it(
    project: Path, tmp_path: Path, kind: str
) -> None:
    """app/repositories (made by the first `add endpoint`) already a link: to nothing,
    to itself, or to a folder outside the project."""
    outside = tmp_path / "outside"
    outside.mkdir()
    folder = project / "app/repositories"
    folder.symlink_to({"nothing": "../gone", "loop": "repositories", "outside": str(outside)}[kind])
    before = _tree(project)
    result = add(project, "endpoint", "orders", "name:str")
    assert result.exit_code == 1
    assert (
        result.stderr.splitlines()[0]
        == {
            "nothing": "error: app/repositories is a symbolic link to ../gone, which does not "
            "exist.",
            "loop": "error: app/repositories is a symbolic link that loops (repositories).",
            "outside": "error: app/repositories/orders.py leads outside the project (to "
            f"{outside / 'orders.py'}) through the symbolic link app/repositories (to {outside}), "
            "so fastasync will not write it.",
        }[kind]
    )
    assert result.stderr.splitlines()[1].startswith("hint: Nothing was written.")
    assert _tree(project) == before
    assert list(outside.iterdir()) == []
    assert not (project / "app/gone").exists()

"""A property of every `add`: in a project whose owner restyled the files `add` edits
(comments, blank lines, reformatted imports and signatures, reordered statements),
the diff of each edited file only adds, and the project's lint still passes."""

from __future__ import annotations

import difflib
import io
import os
import re
import shutil
import subprocess
import tokenize
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from ruff.__main__ import find_ruff_bin
from typer.testing import CliRunner

from fastasync_cli.cli import app

EDITED = [
    "app/api/main.py",
    "app/main.py",
    "app/api/deps.py",
    "app/core/config.py",
    "app/tasks/__init__.py",
    "app/api/routes/jobs.py",
    "tests/conftest.py",
]
CONFIG_FILES = ["pyproject.toml", "compose.yaml", ".env.example"]

ADDS = [
    ["endpoint", "products", "name:str", "price:float"],
    ["endpoint", "customer_support_ticket_attachments_and_their_xyz1"],
    ["client", "github", "--base-url", "https://api.github.com"],
    ["client", "customer_support_ticket_attachments_and_their_xyz2", "--base-url", "http://x"],
    ["task", "summarize"],
    ["task", "crunch", "--kind", "cpu"],
    ["celery"],
    ["task", "customer_support_ticket_attachments_and_their_xyz3", "--backend", "celery"],
]


def _string_lines(source: str) -> set[int]:
    """0-based lines inside (or ending) a multi-line string: no comment may go there."""
    inside: set[int] = set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.STRING and token.start[0] != token.end[0]:
            inside.update(range(token.start[0] - 1, token.end[0]))
    return inside


def _comment_above(source: str, where: int, number: int) -> str:
    lines = source.splitlines(keepends=True)
    blocked = _string_lines(source)
    candidates = [i for i in range(len(lines)) if i not in blocked and lines[i].strip()]
    line = lines[candidates[where % len(candidates)]]
    indent = line[: len(line) - len(line.lstrip())]
    index = candidates[where % len(candidates)]
    return "".join([*lines[:index], f"{indent}# user note {number}\n", *lines[index:]])


def _comment_after(source: str, where: int, number: int) -> str:
    lines = source.splitlines(keepends=True)
    blocked = _string_lines(source)
    candidates = [
        i
        for i in range(len(lines))
        if i not in blocked
        and lines[i].strip()
        and "#" not in lines[i]
        and not lines[i].rstrip().endswith("\\")
        and len(lines[i]) < 60
    ]
    if not candidates:
        return source
    index = candidates[where % len(candidates)]
    lines[index] = lines[index].rstrip("\n") + f"  # tail {number}\n"
    return "".join(lines)


def _blank_line(source: str, where: int, number: int) -> str:
    lines = source.splitlines(keepends=True)
    blocked = _string_lines(source)
    candidates = [i for i in range(1, len(lines)) if i not in blocked and i - 1 not in blocked]
    index = candidates[where % len(candidates)]
    return "".join([*lines[:index], "\n", *lines[index:]])


def _explode_imports(source: str, where: int, number: int) -> str:
    def explode(match: re.Match[str]) -> str:
        names = [name.strip() for name in match["names"].split(",")]
        members = "".join(f"    {name},  # {name} {number}\n" for name in names)
        return f"from {match['module']} import (\n{members})"

    return re.sub(
        r"^from (?P<module>[\w.]+) import (?P<names>\w+(?:, \w+)+)$",
        explode,
        source,
        flags=re.MULTILINE,
    )


def _explode_signature(source: str, where: int, number: int) -> str:
    return source.replace(
        "async def get_job(job_id: str, jobs: JobRunnerDep) -> Job:",
        f"async def get_job(\n    job_id: str,  # from the path {number}\n    jobs: JobRunnerDep\n"
        ") -> Job:",
    )


def _reorder_settings(source: str, where: int, number: int) -> str:
    # Two unrelated fields of Settings trade places.
    return source.replace(
        "    # Jobs kept in memory; the oldest finished ones are dropped beyond this.\n"
        "    job_store_max: int = Field(default=1000, ge=1)\n",
        "",
    ).replace(
        '    app_name: str = "',
        "    # Jobs kept in memory; the oldest finished ones are dropped beyond this.\n"
        "    job_store_max: int = Field(default=1000, ge=1)\n"
        '    app_name: str = "',
    )


def _registry_comment(source: str, where: int, number: int) -> str:
    return source.replace(
        "TASKS: list[TaskSpec] = []", f"TASKS: list[TaskSpec] = [\n    # none yet {number}\n]"
    )


PYTHON_RESTYLES: list[Callable[[str, int, int], str]] = [
    _comment_above,
    _comment_above,
    _comment_after,
    _blank_line,
    _explode_imports,
    _explode_signature,
    _reorder_settings,
    _registry_comment,
]


def _config_comment(source: str, where: int, number: int) -> str:
    lines = source.splitlines(keepends=True)
    candidates = [i for i in range(len(lines)) if lines[i].strip()]
    index = candidates[where % len(candidates)]
    line = lines[index]
    indent = line[: len(line) - len(line.lstrip())]
    return "".join([*lines[:index], f"{indent}# user note {number}\n", *lines[index:]])


restyles = st.lists(
    st.tuples(
        st.sampled_from(EDITED + CONFIG_FILES),
        st.integers(0, len(PYTHON_RESTYLES) - 1),
        st.integers(0, 10_000),
    ),
    min_size=1,
    max_size=10,
)
add_sequences = st.lists(st.sampled_from(range(len(ADDS))), min_size=1, max_size=4, unique=True)


def _ruff_check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_ruff_bin(), "check", "--quiet", "."],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )


def _tokens(lines: list[str]) -> Counter[str]:
    """The words and comments of some lines, without the layout between them."""
    return Counter(re.findall(r"#[^\n]*|[\w.\"'=:/\-*@<>]+", "".join(lines)))


def _assert_only_additions(rel: str, old: str, new: str) -> None:
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "delete":
            pytest.fail(f"{rel}: lines deleted: {old_lines[i1:i2]}")
        if tag == "replace":
            # A statement that grew (an import, a list, a signature) may be laid out
            # anew, but every word and comment of it is still there.
            lost = _tokens(old_lines[i1:i2]) - _tokens(new_lines[j1:j2])
            diff = "".join(difflib.unified_diff(old_lines, new_lines))
            assert not lost, f"{rel}: {dict(lost)} lost in\n{diff}"
    old_comments = Counter(re.findall(r"# [^\n]*", old))
    new_comments = Counter(re.findall(r"# [^\n]*", new))
    assert not old_comments - new_comments, f"{rel}: comments lost"


@settings(
    # More with FASTASYNC_PROPERTY_EXAMPLES=200 when changing the edits.
    max_examples=int(os.environ.get("FASTASYNC_PROPERTY_EXAMPLES", "10")),
    deadline=None,
    # Each example runs several `add`s; shrinking would take minutes, and the
    # failing example is printed as found.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(restyle=restyles, sequence=add_sequences)
def test_adds_on_a_restyled_project_only_add_lines_and_keep_it_lint_clean(
    pristine_project: Path, tmp_path_factory: pytest.TempPathFactory, restyle, sequence
) -> None:
    root = tmp_path_factory.mktemp("restyled") / "demo"
    shutil.copytree(pristine_project, root)
    for number, (rel, which, where) in enumerate(restyle):
        path = root / rel
        source = path.read_text()
        if rel.endswith(".py"):
            path.write_text(PYTHON_RESTYLES[which](source, where, number))
        else:
            path.write_text(_config_comment(source, where, number))
    assume(_ruff_check(root).returncode == 0)

    runner = CliRunner()
    if ADDS.index(["celery"]) not in sequence and any("--backend" in ADDS[i] for i in sequence):
        sequence = [ADDS.index(["celery"]), *sequence]
    for index in sorted(sequence):
        files = {rel: (root / rel).read_text() for rel in EDITED + CONFIG_FILES}
        result = runner.invoke(app, ["add", *ADDS[index], "--project", str(root)])
        assert result.exit_code == 0, (ADDS[index], result.output)
        for rel, old in files.items():
            _assert_only_additions(rel, old, (root / rel).read_text())
        again = runner.invoke(app, ["add", *ADDS[index], "--project", str(root)])
        assert again.exit_code == 0 and "Nothing to do" in again.stdout, again.output
    lint = _ruff_check(root)
    assert lint.returncode == 0, lint.stdout

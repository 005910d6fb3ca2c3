"""app/schemas/types.py: the field types every endpoint's schemas import, written by
`new`, and by `add endpoint` into projects made before it (whose endpoints keep their
own copies)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastasync_cli.generators.schema_types import SHARED_TYPES, template_text
from tests.cli.helpers import add, snapshot

# Loads the app and its OpenAPI document: every schema module imports and builds.
LOADS = "from app.main import create_app; create_app().openapi()"


def run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=project, capture_output=True, text=True, check=False
    )


def as_made_before_the_shared_types(project: Path, endpoint: str) -> None:
    """Fake a project of an earlier fastasync: no app/schemas/types.py, and the
    endpoint's schema module holding the helpers itself, as those versions wrote it."""
    schema = project / f"app/schemas/{endpoint}.py"
    text = schema.read_text("utf-8")
    docstring_end = text.index('"""', 3) + 3
    head, _, classes = text[docstring_end:].partition("\n\nclass ")
    imports = [line for line in head.strip().splitlines() if "app.schemas.types" not in line]
    shared = template_text()
    helpers = shared[shared.index('"""', 3) + 3 :].strip()
    schema.write_text(
        f"{text[:docstring_end]}\n\n" + "\n".join(imports) + f"\n{helpers}\n\n\nclass {classes}"
    )
    fixed = run(project, "-m", "ruff", "check", "--fix", "--select", "I", "--quiet", str(schema))
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert run(project, "-m", "ruff", "format", "--quiet", str(schema)).returncode == 0
    (project / SHARED_TYPES).unlink()


def test_new_writes_the_shared_types_and_endpoints_import_only_what_they_use(
    project: Path,
) -> None:
    assert (project / SHARED_TYPES).read_text("utf-8") == template_text()
    assert add(project, "endpoint", "flags", "flag:bool?", "ref:uuid?").exit_code == 0
    assert add(project, "endpoint", "counts", "n:int", "at:datetime?").exit_code == 0
    flags = (project / "app/schemas/flags.py").read_text("utf-8")
    counts = (project / "app/schemas/counts.py").read_text("utf-8")
    assert "app.schemas.types" not in flags and "def " not in flags
    assert "from app.schemas.types import DatetimeInUTC, Int64, left_out\n" in counts
    assert "def " not in counts
    checked = run(project, "-m", "ruff", "check", "--quiet", ".")
    assert checked.returncode == 0, checked.stdout


def test_a_project_made_before_the_shared_types_gets_them_and_keeps_its_endpoints(
    project: Path,
) -> None:
    assert add(project, "endpoint", "products", "name:str", "qty:int").exit_code == 0
    as_made_before_the_shared_types(project, "products")
    old_schema = (project / "app/schemas/products.py").read_bytes()
    assert b"def refuse_text(" in old_schema
    assert run(project, "-c", LOADS).returncode == 0  # the fake loads as it is

    result = add(project, "endpoint", "orders", "price:float", "due:datetime")
    assert result.exit_code == 0, result.output
    assert "   create  app/schemas/types.py" in result.stdout.splitlines()
    assert (project / SHARED_TYPES).read_text("utf-8") == template_text()
    assert (project / "app/schemas/products.py").read_bytes() == old_schema
    orders = (project / "app/schemas/orders.py").read_text("utf-8")
    assert "from app.schemas.types import DatetimeInUTC, FiniteFloat, left_out\n" in orders
    loaded = run(project, "-c", LOADS)
    assert loaded.returncode == 0, loaded.stderr
    checked = run(project, "-m", "ruff", "check", "--quiet", ".")
    assert checked.returncode == 0, checked.stdout


def test_a_shared_types_file_lacking_what_the_endpoint_imports_is_a_conflict(
    project: Path,
) -> None:
    mine = '"""My types."""\n\nSlug = str\n'
    (project / SHARED_TYPES).write_text(mine)
    before = snapshot(project)
    result = add(project, "endpoint", "products", "name:str", "qty:int")
    assert result.exit_code == 1
    assert (
        " conflict  app/schemas/types.py  (lacks Int64, NO_NUL, left_out, which "
        "app/schemas/products.py imports from it)"
    ) in result.stdout.splitlines()
    assert "These files exist with other content: app/schemas/types.py." in result.stderr
    assert snapshot(project) == before

    forced = add(project, "endpoint", "products", "name:str", "qty:int", "--force")
    assert forced.exit_code == 0, forced.output
    assert "overwrite  app/schemas/types.py" in forced.stdout.splitlines()
    assert (project / SHARED_TYPES).read_text("utf-8") == template_text()


def test_a_shared_types_file_the_user_extended_is_kept(project: Path) -> None:
    mine = template_text() + '\n\nSlug = Annotated[str, Field(pattern="^[a-z-]+$")]\n'
    (project / SHARED_TYPES).write_text(mine)
    result = add(project, "endpoint", "products", "name:str", "qty:int")
    assert result.exit_code == 0, result.output
    assert (
        "     skip  app/schemas/types.py  (yours, kept: it defines what "
        "app/schemas/products.py imports from it)"
    ) in result.stdout.splitlines()
    assert (project / SHARED_TYPES).read_text("utf-8") == mine
    assert run(project, "-c", LOADS).returncode == 0


def test_no_endpoint_can_be_named_like_the_shared_module(project: Path) -> None:
    result = add(project, "endpoint", "types", "name:str")
    assert result.exit_code == 2
    assert "would shadow the standard library module 'types'" in result.stderr

"""`fastasync add`: exit codes, status lines and the exact messages users see."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fastasync_cli.cli import app
from tests.cli.helpers import add, runner, snapshot


def test_outside_a_project_exits_1(tmp_path: Path) -> None:
    result = runner.invoke(app, ["add", "endpoint", "products", "--project", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: No fastasync project found: looked for .fastasync.toml in {tmp_path} and "
        "every folder above it.",
        "hint: Run the command inside a project made by `fastasync new`, or pass --project DIR.",
    ]


def test_project_option_must_be_a_folder(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    result = runner.invoke(app, ["add", "task", "x", "--project", str(missing)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: --project {missing} is not a folder.",
        "hint: Pass the folder of a project made by `fastasync new`.",
    ]


def test_found_from_a_subfolder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "app" / "api")
    result = runner.invoke(app, ["add", "endpoint", "products"])
    assert result.exit_code == 0, result.output
    assert (project / "app/api/routes/products.py").is_file()
    # The test path is the project's: it printed `pytest tests/...` to run from here.
    assert result.stdout.splitlines()[-1] == (
        "Next: cd ../.. && pytest tests/api/routes/test_products.py"
    )


def test_next_step_from_the_project_folder_has_no_cd(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    result = runner.invoke(app, ["add", "task", "report"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Next: pytest tests/tasks/test_report.py"


def test_next_step_cd_is_quoted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where = tmp_path / "my apps" / "shop"
    assert runner.invoke(app, ["new", str(where), "--yes", "--no-docker", "--ci", "none",
                               "--db", "none"]).exit_code == 0  # fmt: skip
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["add", "task", "report", "--project", str(where)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"Next: cd '{where}' && pytest tests/tasks/test_report.py"
    )


def test_add_endpoint_status_lines(project: Path) -> None:
    result = add(project, "endpoint", "products", "name:str", "price:float")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"project: {project}",
        "   create  app/schemas/products.py",
        "   create  app/repositories/products.py",
        "   create  app/api/routes/products.py",
        "   create  tests/api/routes/test_products.py",
        "identical  app/schemas/types.py",
        "   create  app/repositories/__init__.py",
        "   update  app/api/main.py",
        "   update  app/api/deps.py",
        "   update  app/main.py",
        "   update  .fastasync.toml",
        "Added endpoint products: /api/products",
        # Run from elsewhere (--project): the next step starts with a `cd`.
        f"Next: cd {project} && pytest tests/api/routes/test_products.py",
    ]
    assert "api_router.include_router(products.router)" in (project / "app/api/main.py").read_text()
    manifest = (project / ".fastasync.toml").read_text()
    assert 'kind = "endpoint"' in manifest and '"price:float"' in manifest


def test_the_same_command_twice_changes_nothing(project: Path) -> None:
    assert add(project, "endpoint", "products", "price:float").exit_code == 0
    before = snapshot(project)
    again = add(project, "endpoint", "products", "price:float")
    assert again.exit_code == 0
    assert again.stdout.splitlines()[0] == f"project: {project}"
    assert all(line.startswith("identical") for line in again.stdout.splitlines()[1:-1])
    assert again.stdout.splitlines()[-1] == "Nothing to do: the project already has all of this."
    assert snapshot(project) == before


def test_a_changed_file_is_a_conflict_unless_forced(project: Path) -> None:
    assert add(project, "endpoint", "products").exit_code == 0
    route = project / "app/api/routes/products.py"
    route.write_text(route.read_text() + "# my change\n")
    before = snapshot(project)
    result = add(project, "endpoint", "products")
    assert result.exit_code == 1
    assert " conflict  app/api/routes/products.py" in result.stdout
    assert result.stderr.splitlines() == [
        "error: These files exist with other content: app/api/routes/products.py.",
        "hint: Nothing was written. Run again with --force to replace them, or --dry-run to "
        "see the differences.",
    ]
    assert snapshot(project) == before
    forced = add(project, "endpoint", "products", "--force")
    assert forced.exit_code == 0
    assert "overwrite  app/api/routes/products.py" in forced.stdout
    assert "# my change" not in route.read_text()


@pytest.mark.parametrize("force", [[], ["--force"]])
def test_a_folder_where_a_new_file_goes_is_named(project: Path, force: list[str]) -> None:
    """It was a conflict whose hint, run again with --force, changed nothing."""
    (project / "app/api/routes/products.py").mkdir()
    before = snapshot(project)
    result = add(project, "endpoint", "products", *force)
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: app/api/routes/products.py is a folder, where fastasync expects a file.",
        "hint: Nothing was written. Move the folder out of the way, then run the command again.",
    ]
    assert snapshot(project) == before


@pytest.mark.parametrize("setting", ['line-length = "wide"', "line-length = 0"])
def test_broken_ruff_settings_are_the_project_s_not_a_bug(project: Path, setting: str) -> None:
    """ruff failing on them was reported as "a bug in fastasync", over several lines."""
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace("line-length = 88", setting, 1))
    before = snapshot(project)
    result = add(project, "endpoint", "products")
    assert result.exit_code == 1
    line, hint = result.stderr.splitlines()
    assert line.startswith("error: ruff cannot use this project's settings: Failed to parse ")
    assert "pyproject.toml" in line
    assert hint == (
        "hint: Nothing was written. Fix the ruff settings (`ruff check .` in the project "
        "shows where), then run the command again."
    )
    assert snapshot(project) == before


@pytest.mark.parametrize("name", ["api_router", "root_router", "include_routers", "admin"])
def test_endpoint_names_app_api_main_binds_are_refused(project: Path, name: str) -> None:
    """`from app.api.routes import api_router` replaced the RouterGroup, and the app
    failed on import (`api_router.include_router(api_router.router)`)."""
    main = project / "app/api/main.py"
    main.write_text(main.read_text() + "\n\nadmin = RouterGroup(prefix='/admin')\n")
    before = snapshot(project)
    result = add(project, "endpoint", name)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"error: The endpoint name {name!r} would replace the {name!r} that app/api/main.py "
        "defines, where its router is imported.",
        f"hint: Pick another name, e.g. '{name.replace('_', '-')}-items'.",
    ]
    assert snapshot(project) == before
    assert add(project, "endpoint", "products").exit_code == 0
    assert add(project, "endpoint", "products").exit_code == 0


def test_dry_run_shows_diffs_and_writes_nothing(project: Path) -> None:
    before = snapshot(project)
    result = add(project, "endpoint", "products", "--dry-run")
    assert result.exit_code == 0
    assert "+api_router.include_router(products.router)" in result.stdout
    assert "--- a/app/api/main.py" in result.stdout
    assert result.stdout.splitlines()[-1] == "Dry run: nothing was written."
    assert snapshot(project) == before


def test_a_restructured_file_stops_before_writing_and_prints_the_lines(project: Path) -> None:
    main = project / "app/api/main.py"
    main.write_text(
        '"""Routers, my way."""\n\nfrom fastapi import APIRouter\n\nrouter = APIRouter()\n'
    )
    before = snapshot(project)
    result = add(project, "endpoint", "products")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: app/api/main.py no longer has an `api_router.include_router(...)` line to add "
        "the router after, so fastasync cannot edit it safely.",
        "hint: Nothing was written. Add these lines to app/api/main.py by hand, then run the "
        "command again:",
        "    from app.api.routes import products",
        "    api_router.include_router(products.router)",
    ]
    assert snapshot(project) == before


def test_after_adding_the_lines_by_hand_the_command_finishes(project: Path) -> None:
    main = project / "app/api/main.py"
    main.write_text(
        '"""Routers, my way."""\n\nfrom fastapi import APIRouter\n\n'
        "from app.api.routes import health, jobs, products\n\n"
        "api_router = APIRouter(prefix='/api')\n"
        "for module in (jobs, products):\n"
        "    api_router.include_router(module.router)\n"
        "api_router.include_router(products.router)\n"
        "router = APIRouter()\nrouter.include_router(health.router)\n"
        "router.include_router(api_router)\n"
    )
    result = add(project, "endpoint", "products")
    assert result.exit_code == 0, result.output
    assert "identical  app/api/main.py" in result.stdout


def test_a_file_that_does_not_parse_stops_before_writing(project: Path) -> None:
    deps = project / "app/api/deps.py"
    deps.write_text(deps.read_text() + "\ndef broken(:\n")
    before = snapshot(project)
    result = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: app/api/deps.py does not parse (line ")
    assert lines[1] == (
        "hint: Nothing was written. Fix the file, or add these lines to app/api/deps.py by "
        "hand, then run the command again:"
    )
    assert "    GithubClientDep = Annotated[GithubClient, Depends(get_github_client)]" in lines
    assert snapshot(project) == before


def test_user_code_and_comments_survive_edits(project: Path) -> None:
    main = project / "app/api/main.py"
    main.write_text(
        main.read_text().replace(
            "api_router.include_router(jobs.router)",
            "api_router.include_router(jobs.router)  # keep jobs first\n# my own comment",
        )
    )
    assert add(project, "endpoint", "products").exit_code == 0
    text = main.read_text()
    assert "api_router.include_router(jobs.router)  # keep jobs first\n" in text
    assert "# my own comment" in text
    assert "api_router.include_router(products.router)" in text


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (
            ["endpoint", "health"],
            "error: The endpoint name 'health' clashes with the project's own 'health'.",
        ),
        (
            ["endpoint", "list"],
            "error: The endpoint name 'list' would shadow Python's built-in 'list'.",
        ),
        (
            ["endpoint", "products", "price"],
            "error: The field 'price' is not NAME:TYPE.",
        ),
        (
            ["endpoint", "products", "price:money"],
            "error: The field 'price:money' has an unknown type 'money'.",
        ),
        (
            ["endpoint", "products", "in_stock:bool=perhaps"],
            "error: The field 'in_stock:bool=perhaps' has a bool default that is not true or "
            "false.",
        ),
        (
            ["endpoint", "products", "sku:str:unique:index:unique"],
            "error: The field 'sku:str:unique:index:unique' repeats the modifier :unique.",
        ),
        (
            ["endpoint", "products", "stock:int=many"],
            "error: The field 'stock:int=many' has a default that is not an integer.",
        ),
        (
            ["endpoint", "products", "price:float=cheap"],
            "error: The field 'price:float=cheap' has a default that is not a number.",
        ),
        (
            ["endpoint", "products", "id:int"],
            "error: The field 'id:int' uses the name 'id', which every model or schema "
            "already has.",
        ),
        (
            # PostgreSQL's index entries hold 2,704 bytes: a longer value answered 500.
            ["endpoint", "products", "sku:str{651}:unique"],
            "error: The field 'sku:str{651}:unique' is unique and 651 characters long: "
            "PostgreSQL cannot index more than 650 characters of text (2,704 bytes, up to "
            "4 per character).",
        ),
        (
            ["endpoint", "products", "title:str{2000}:index?"],
            "error: The field 'title:str{2000}:index?' is indexed and 2000 characters long: "
            "PostgreSQL cannot index more than 650 characters of text (2,704 bytes, up to "
            "4 per character).",
        ),
        (
            ["client", "github", "--base-url", "api.github.com"],
            "error: --base-url 'api.github.com' is not an absolute http(s) URL.",
        ),
        (["task", "class"], "error: The task name 'class' is a Python keyword."),
        (
            ["endpoint", "celery-jobs"],
            "error: The endpoint name 'celery-jobs' clashes with the project's own 'celery_jobs'.",
        ),
    ],
)
def test_bad_input_exits_2_and_writes_nothing(project: Path, args: list[str], error: str) -> None:
    before = snapshot(project)
    result = add(project, *args)
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0] == error
    assert lines[1].startswith("hint: ")
    assert snapshot(project) == before


def test_a_name_another_kind_has_is_refused(project: Path) -> None:
    assert add(project, "endpoint", "products").exit_code == 0
    result = add(project, "client", "products", "--base-url", "https://example.com")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: The name 'products' is already used by an endpoint of this project.",
        "hint: Pick another name for the client, e.g. 'products-client'.",
    ]


def test_add_client_edits_settings_env_lifespan_and_deps(project: Path) -> None:
    result = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert result.exit_code == 0, result.output
    config = (project / "app/core/config.py").read_text()
    assert 'github_base_url: str = "https://api.github.com"' in config
    assert "github_retries: int = Field(default=2, ge=0)" in config
    assert "github_deadline: float = Field(default=120.0, gt=0, allow_inf_nan=False)" in config
    assert "github_api_key: SecretStr | None = None" in config
    assert re.search(r"^from pydantic import .*\bSecretStr\b", config, re.MULTILINE)
    assert "max_keepalive" not in config
    env_example = (project / ".env.example").read_text()
    assert "GITHUB_BASE_URL=https://api.github.com" in env_example
    assert "# GITHUB_DEADLINE=120.0" in env_example
    main = (project / "app/main.py").read_text()
    assert "from app.clients.github import GithubClient" in main
    assert 'state["github"] = await stack.enter_async_context(' in main
    assert "GithubClientDep = Annotated[" in (project / "app/api/deps.py").read_text()
    again = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert again.exit_code == 0
    assert "update" not in again.stdout


def test_add_client_with_another_url_is_a_conflict(project: Path) -> None:
    assert add(project, "client", "github", "--base-url", "https://api.github.com").exit_code == 0
    result = add(project, "client", "github", "--base-url", "https://ghe.example.com")
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "error: app/core/config.py already sets github_base_url differently."
    )
    forced = add(project, "client", "github", "--base-url", "https://ghe.example.com", "--force")
    assert forced.exit_code == 0, forced.output
    assert (
        'github_base_url: str = "https://ghe.example.com"'
        in (project / "app/core/config.py").read_text()
    )


def test_add_task_registers_it(project: Path) -> None:
    result = add(project, "task", "crunch", "--kind", "cpu")
    assert result.exit_code == 0, result.output
    registry = (project / "app/tasks/__init__.py").read_text()
    assert "from app.tasks import crunch" in registry
    assert "TASKS: list[TaskSpec] = [crunch.task]" in registry
    assert 'kind="cpu"' in (project / "app/tasks/crunch.py").read_text()


def test_celery_task_without_celery_exits_1(project: Path) -> None:
    before = snapshot(project)
    result = add(project, "task", "report", "--backend", "celery")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: This project has no Celery set up, so it cannot run a celery task.",
        "hint: Add Celery first: fastasync add celery",
    ]
    assert snapshot(project) == before


CELERY_LINES = [
    "   update  pyproject.toml",
    "   create  app/jobs/celery_app.py",
    "   create  app/jobs/celery_jobs.py",
    "   create  app/worker.py",
    "   create  app/api/routes/celery_jobs.py",
    "   create  app/api/celery_errors.py",
    "   create  tests/jobs/celery_sample_tasks.py",
    "   create  tests/jobs/test_celery_app.py",
    "   create  tests/jobs/test_celery_jobs.py",
    "   create  tests/jobs/test_celery_input.py",
    "   create  tests/test_worker_redis.py",
    "   update  app/core/config.py",
    "   update  .env.example",
    "   update  app/tasks/__init__.py",
    "   update  app/api/deps.py",
    "identical  app/jobs/models.py",
    "   update  app/api/routes/jobs.py",
    "   update  app/api/main.py",
    "   update  app/main.py",
    "identical  app/api/responses.py",
    "   update  tests/conftest.py",
    "   update  compose.yaml",
    "   update  .github/workflows/ci.yml",
    "   update  README.md",
    "   update  .fastasync.toml",
]


def test_add_celery_status_lines_then_twice_is_identical(project: Path) -> None:
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"project: {project}",
        *CELERY_LINES,
        "Added Celery: start a worker with `celery -A app.worker worker`",
        f"Next: cd {project} && fastasync add task NAME --backend celery",
    ]
    assert "celery = true" in (project / ".fastasync.toml").read_text()
    after = snapshot(project)
    again = add(project, "celery")
    assert again.exit_code == 0
    assert again.stdout.splitlines() == [
        f"project: {project}",
        *(f"identical  {line.split()[-1]}" for line in CELERY_LINES),
        "Nothing to do: the project already has all of this.",
    ]
    assert snapshot(project) == after


def test_add_celery_edits_the_user_files_through_their_syntax_trees(project: Path) -> None:
    assert add(project, "celery").exit_code == 0
    jobs = (project / "app/api/routes/jobs.py").read_text()
    assert (
        "async def get_job(job_id: JobId, jobs: JobRunnerDep, celery_jobs: CeleryJobsDep)" in jobs
    )
    assert "    job = await jobs.get(job_id) or await celery_jobs.get(job_id)\n" in jobs
    assert "from app.api.deps import CeleryJobsDep, JobRunnerDep\n" in jobs
    main = (project / "app/main.py").read_text()
    assert 'state["celery_jobs"] = await stack.enter_async_context(CeleryJobs(settings))' in main
    assert "    include_routers(app)\n    document_celery_errors(app)\n" in main
    assert (
        "api_router.include_router(celery_jobs.router)" in (project / "app/api/main.py").read_text()
    )
    assert (
        "CELERY_TASKS: list[CeleryTaskSpec] = []" in (project / "app/tasks/__init__.py").read_text()
    )
    pyproject = (project / "pyproject.toml").read_text()
    assert '    "celery[redis]>=5.7.0,<6",\n]' in pyproject
    assert 'addopts = ["-ra", "--strict-markers", "-p", "celery.contrib.pytest"]' in pyproject
    config = (project / "app/core/config.py").read_text()
    assert '    redis_url: str = "redis://localhost:6379/0"\n' in config
    assert "# REDIS_URL=redis://localhost:6379/0" in (project / ".env.example").read_text()
    conftest = (project / "tests/conftest.py").read_text()
    assert '        celery_broker_url="memory://",\n' in conftest
    assert "def celery_worker(celery_app: Celery) -> Iterator[WorkController]:" in conftest
    assert "<!-- fastasync: celery -->" in (project / "README.md").read_text()


def test_add_celery_on_a_restructured_get_job_stops_and_prints_the_lines(project: Path) -> None:
    jobs = project / "app/api/routes/jobs.py"
    restructured = jobs.read_text().replace("jobs.get(job_id)", "jobs.store.get(job_id)")
    jobs.write_text(restructured)
    before = snapshot(project)
    result = add(project, "celery")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "error: app/api/routes/jobs.py no longer has `job = await jobs.get(job_id)` inside "
        "`get_job`, so fastasync cannot edit it safely.",
        "hint: Nothing was written. Add these lines to app/api/routes/jobs.py by hand, then run "
        "the command again:",
        "    from app.api.deps import CeleryJobsDep",
        "    celery_jobs: CeleryJobsDep,  # a parameter of get_job",
        "    job = await jobs.get(job_id) or await celery_jobs.get(job_id)  # in get_job, "
        "instead of `job = await jobs.get(job_id)`",
    ]
    assert snapshot(project) == before


def test_add_celery_on_a_compose_file_that_does_not_parse(project: Path) -> None:
    compose = project / "compose.yaml"
    compose.write_text(compose.read_text() + "  broken: [\n")
    before = snapshot(project)
    result = add(project, "celery")
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: compose.yaml does not parse (line ")
    assert lines[1] == (
        "hint: Nothing was written. Fix the file, or add these lines to compose.yaml by hand, "
        "then run the command again:"
    )
    assert "      redis:" in lines and "      worker:" in lines
    assert snapshot(project) == before


def test_add_celery_without_compose_file_says_skip(project: Path) -> None:
    (project / "compose.yaml").unlink()
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    assert (
        "     skip  compose.yaml  (missing: not recreated just for the redis and worker services)"
    ) in result.stdout.splitlines()
    assert not (project / "compose.yaml").exists()


def test_deleted_optional_files_stay_deleted(project: Path) -> None:
    """A deleted README.md came back holding only the Celery section (and
    .env.example only the new settings); the CI workflow was passed over without a
    word. Each stays deleted, with a `skip` line saying what it does not get."""
    for rel in ("README.md", ".env.example", ".github/workflows/ci.yml"):
        (project / rel).unlink()
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for line in [
        "     skip  .env.example  (missing: not recreated just for the Celery settings)",
        "     skip  .github/workflows/ci.yml  (missing: not recreated just for the Redis "
        "service of the test job)",
        "     skip  README.md  (missing: not recreated just for the Celery section)",
    ]:
        assert line in lines
    assert not (project / "README.md").exists()
    assert not (project / ".env.example").exists()
    assert not (project / ".github/workflows/ci.yml").exists()
    client = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert client.exit_code == 0, client.output
    assert (
        "     skip  .env.example  (missing: not recreated just for the github client's settings)"
    ) in client.stdout.splitlines()
    assert not (project / ".env.example").exists()
    again = add(project, "celery")
    assert "Nothing to do: the project already has all of this." in again.stdout


def test_deleted_optional_files_stay_deleted_with_add_db(project: Path) -> None:
    for rel in ("README.md", ".env.example", ".gitignore", "Dockerfile"):
        (project / rel).unlink()
    result = add(project, "db")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    for line in [
        "     skip  .env.example  (missing: not recreated just for the database settings)",
        "     skip  .gitignore  (missing: not recreated just for the database folder's line)",
        "     skip  Dockerfile  (missing: not recreated just for the migrations' lines)",
        "     skip  README.md  (missing: not recreated just for the database section)",
    ]:
        assert line in lines
    for rel in ("README.md", ".env.example", ".gitignore", "Dockerfile"):
        assert not (project / rel).exists()


def test_celery_task_after_add_celery(project: Path) -> None:
    assert add(project, "celery").exit_code == 0
    result = add(project, "task", "report", "--backend", "celery", "--idempotent")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"project: {project}",
        "   create  app/tasks/report.py",
        "   create  tests/tasks/test_report.py",
        "   update  app/tasks/__init__.py",
        "   update  .fastasync.toml",
        "Added io task report: POST /api/jobs/report (run by a Celery worker)",
        f"Next: cd {project} && pytest tests/tasks/test_report.py",
    ]
    registry = (project / "app/tasks/__init__.py").read_text()
    assert "CELERY_TASKS: list[CeleryTaskSpec] = [report.task]" in registry
    assert "TASKS: list[TaskSpec] = []" in registry
    module = (project / "app/tasks/report.py").read_text()
    assert "idempotent=True," in module and "CeleryTaskSpec(" in module
    manifest = (project / ".fastasync.toml").read_text()
    assert 'backend = "celery"\nidempotent = true' in manifest


def test_idempotent_is_for_celery_tasks_only(project: Path) -> None:
    before = snapshot(project)
    result = add(project, "task", "report", "--idempotent")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: --idempotent is for Celery tasks: local jobs are never run twice.",
        "hint: Add --backend celery, or leave out --idempotent.",
    ]
    assert snapshot(project) == before


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://[::1", "is not a valid URL (Invalid IPv6 URL)"),
        ("https://api.example.com:99999", "is not a valid URL (Port out of range 0-65535)"),
        ("https://api.example.com:http", "is not a valid URL"),
        ("https://api.example.com:0", "has port 0, which no server listens on"),
        ("https://api.example.com/v1#top", "has a #fragment, which is never sent to a server"),
        ("https://:80", "has no host"),
        ("https://api.example.com/\n", "contains a space, a quote or another character"),
    ],
)
def test_bad_base_urls_exit_2_with_the_problem(project: Path, url: str, problem: str) -> None:
    before = snapshot(project)
    result = add(project, "client", "github", "--base-url", url)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0].startswith(f"error: --base-url {url!r} {problem}")
    assert "Unexpected error" not in result.output
    assert snapshot(project) == before


def test_an_ipv6_base_url_works(project: Path) -> None:
    result = add(project, "client", "local", "--base-url", "http://[::1]:8080/v1")
    assert result.exit_code == 0, result.output
    config = (project / "app/core/config.py").read_text()
    assert 'local_base_url: str = "http://[::1]:8080/v1"' in config


def test_a_name_with_a_newline_exits_2(project: Path) -> None:
    result = add(project, "endpoint", "products\n")
    assert result.exit_code == 2
    assert "may only contain ASCII letters" in result.stderr
    assert "Unexpected error" not in result.output


@pytest.mark.parametrize(
    ("first", "second", "error"),
    [
        (
            ["endpoint", "products"],
            ["client", "products-repository", "--base-url", "https://a.example"],
            "error: The client name 'products-repository' would clash with the lifespan state "
            "of the endpoint 'products'.",
        ),
        (
            ["client", "products-repository", "--base-url", "https://a.example"],
            ["endpoint", "products"],
            "error: The endpoint name 'products' would clash with the lifespan state of the "
            "client 'products_repository'.",
        ),
        (
            ["endpoint", "item"],
            ["endpoint", "items"],
            "error: The endpoint name 'items' names its items 'Item', as the endpoint 'item' does.",
        ),
        (
            ["client", "shop", "--base-url", "https://a.example"],
            ["client", "shop-connect", "--base-url", "https://b.example"],
            "error: The client name 'shop-connect' would clash with the settings of the client "
            "'shop'.",
        ),
        (
            ["task", "summarize"],
            ["client", "celery-broker", "--base-url", "https://a.example"],
            "error: The client name 'celery-broker' would clash with the project's Celery or "
            "core settings.",
        ),
        (
            ["task", "summarize"],
            ["task", "task"],
            "error: The task name 'task' clashes with the 'task' its module defines.",
        ),
        (
            ["task", "summarize"],
            ["task", "deadbeef" * 4],
            "error: The task name 'deadbeefdeadbeefdeadbeefdeadbeef' has the shape of a job id "
            "(32 hex digits): GET /api/jobs/deadbeefdeadbeefdeadbeefdeadbeef would look up a job.",
        ),
        (
            ["task", "summarize"],
            ["client", "database-pool", "--base-url", "https://a.example"],
            "error: The client name 'database-pool' would clash with the project's Celery "
            "or core settings.",
        ),
    ],
)
def test_names_that_would_clash_at_run_time_are_refused(
    project: Path, first: list[str], second: list[str], error: str
) -> None:
    assert add(project, *first).exit_code == 0
    before = snapshot(project)
    result = add(project, *second)
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines()[0] == error
    assert result.stderr.splitlines()[1].startswith("hint: ")
    assert snapshot(project) == before


@pytest.mark.parametrize("name", ["client", "upstream", "settings-service", "app-store"])
def test_client_tests_never_repeat_a_fixture_name(project: Path, name: str) -> None:
    result = add(project, "client", name, "--base-url", "https://a.example")
    assert result.exit_code == 0, result.output
    snake = name.replace("-", "_")
    source = (project / f"tests/clients/test_{snake}.py").read_text()
    compile(source, "test", "exec")  # a duplicated parameter is a SyntaxError
    assert "tested_client: " in source


def test_a_task_moved_to_the_other_backend_leaves_the_first_registry(project: Path) -> None:
    assert add(project, "celery").exit_code == 0
    assert add(project, "task", "report", "--backend", "celery").exit_code == 0
    result = add(project, "task", "report", "--backend", "local", "--force")
    assert result.exit_code == 0, result.output
    registry = (project / "app/tasks/__init__.py").read_text()
    assert "TASKS: list[TaskSpec] = [report.task]" in registry
    assert "CELERY_TASKS: list[CeleryTaskSpec] = []" in registry
    back = add(project, "task", "report", "--backend", "celery", "--force")
    assert back.exit_code == 0, back.output
    registry = (project / "app/tasks/__init__.py").read_text()
    assert "TASKS: list[TaskSpec] = []" in registry
    assert "CELERY_TASKS: list[CeleryTaskSpec] = [report.task]" in registry


def test_deps_without_the_annotated_import_gets_it(project: Path) -> None:
    deps = project / "app/api/deps.py"
    deps.write_text(deps.read_text().replace("from typing import Annotated\n\n", ""))
    deps.write_text(
        deps.read_text()
        .replace("Annotated[", "typing.Annotated[")
        .replace('"""\n\n', '"""\n\nimport typing\n', 1)
    )
    result = add(project, "endpoint", "products")
    assert result.exit_code == 0, result.output
    text = deps.read_text()
    assert "from typing import Annotated\n" in text
    compile(text, "deps", "exec")


def test_a_renamed_exit_stack_and_state_are_used_by_the_lifespan_edit(project: Path) -> None:
    main = project / "app/main.py"
    main.write_text(
        main.read_text()
        .replace("as stack:", "as resources:")
        .replace("stack.enter_async_context", "resources.enter_async_context")
    )
    result = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert result.exit_code == 0, result.output
    assert "await resources.enter_async_context(" in main.read_text()
    assert "stack." not in main.read_text()


def _printed_lines(stderr: str) -> list[str]:
    """The lines the error printed for adding by hand, without their `# where` notes."""
    lines = stderr.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("hint: ")) + 1
    return [line[4:].split("  # ")[0] for line in lines[start:] if line.startswith("    ")]


RESTRUCTURINGS = {
    # A registry the user builds otherwise: the element goes into their list.
    "registry": (
        ["task", "summarize"],
        "app/tasks/__init__.py",
        lambda text: text.replace(
            "TASKS: list[TaskSpec] = []", "BUILT_IN: list[TaskSpec] = []\nTASKS = BUILT_IN + []"
        ),
        lambda text, lines: text.replace(
            "BUILT_IN + []", f"BUILT_IN + [{lines[-1].rstrip(',')}]"
        ).replace(
            "from app.jobs import TaskSpec\n", f"from app.jobs import TaskSpec\n{lines[0]}\n"
        ),
    ),
    # A lifespan under another name: the printed line goes before its yield.
    "lifespan": (
        ["client", "github", "--base-url", "https://api.github.com"],
        "app/main.py",
        lambda text: text.replace("def lifespan(", "def app_lifespan(").replace(
            "lifespan=lifespan", "lifespan=app_lifespan"
        ),
        lambda text, lines: text.replace(
            "            yield state\n", f"            {lines[-1]}\n            yield state\n"
        ).replace(
            "from app.jobs import JobRunner\n", f"from app.jobs import JobRunner\n{lines[0]}\n"
        ),
    ),
    # Settings moved to a differently named class: the fields go there.
    "settings": (
        ["client", "github", "--base-url", "https://api.github.com"],
        "app/core/config.py",
        lambda text: (
            text.replace("class Settings(", "class AppSettings(")
            .replace("def get_settings() -> Settings:", "def get_settings() -> AppSettings:")
            .replace("return Settings()", "return AppSettings()")
            + "\n\nSettings = AppSettings\n"
        ),
        lambda text, lines: text.replace(
            "    job_store_max: int = Field(default=1000, ge=1)\n",
            "    job_store_max: int = Field(default=1000, ge=1)\n"
            + "".join(f"    {line.strip()}\n" for line in lines),
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(RESTRUCTURINGS))
def test_following_the_printed_lines_always_ends_the_loop(project: Path, case: str) -> None:
    args, rel, restructure, follow = RESTRUCTURINGS[case]
    path = project / rel
    path.write_text(restructure(path.read_text()))
    first = add(project, *args)
    assert first.exit_code == 1, first.output
    lines = _printed_lines(first.stderr)
    assert lines, first.stderr
    path.write_text(follow(path.read_text(), lines))
    compile(path.read_text(), rel, "exec")
    second = add(project, *args)
    assert second.exit_code == 0, second.output
    third = add(project, *args)
    assert third.exit_code == 0 and "Nothing to do" in third.stdout, third.output


def test_a_keyword_only_get_job_parameter_added_by_hand_ends_the_loop(project: Path) -> None:
    jobs = project / "app/api/routes/jobs.py"
    jobs.write_text(
        jobs.read_text().replace(
            "(job_id: JobId, jobs: JobRunnerDep)", "(job_id: JobId, *, jobs: JobRunnerDep)"
        )
    )
    first = add(project, "celery")
    assert first.exit_code == 1, first.output
    assert "celery_jobs: CeleryJobsDep," in first.stderr
    jobs.write_text(
        jobs.read_text()
        .replace("*, jobs: JobRunnerDep)", "*, jobs: JobRunnerDep, celery_jobs: CeleryJobsDep)")
        .replace(
            "from app.api.deps import JobRunnerDep",
            "from app.api.deps import CeleryJobsDep, JobRunnerDep",
        )
    )
    second = add(project, "celery")
    assert second.exit_code == 0, second.output
    assert "job = await jobs.get(job_id) or await celery_jobs.get(job_id)" in jobs.read_text()
    assert add(project, "celery").exit_code == 0


def test_a_module_without_imports_gets_its_first_import(project: Path) -> None:
    main = project / "app/api/main.py"
    main.write_text(
        '"""Routers."""\n\n'
        "api_router = __import__('fastapi').APIRouter(prefix='/api')\n"
        "api_router.include_router(__import__('app.api.routes.jobs').api.routes.jobs.router)\n"
    )
    result = add(project, "endpoint", "products")
    assert result.exit_code == 0, result.output
    assert main.read_text().startswith(
        '"""Routers."""\n\nfrom app.api.routes import products\n\napi_router = '
    )


def test_endpoint_help_gives_the_whole_field_grammar() -> None:
    result = runner.invoke(app, ["add", "endpoint", "--help"], env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "NAME:TYPE[{MAX}][:unique][:index][?][=VALUE]" in text
    for word in ("str, int, float, bool, datetime, uuid", ":unique", ":index", "{MAX}"):
        assert word in text

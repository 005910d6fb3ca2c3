"""Generators plan against a generated project and never write."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
import tomlkit
from packaging.requirements import Requirement

from fastasync_cli.engine.apply import apply
from fastasync_cli.engine.fields import parse_fields
from fastasync_cli.engine.names import component_name, project_name
from fastasync_cli.engine.plan import Action
from fastasync_cli.engine.project import find_project
from fastasync_cli.errors import EditError
from fastasync_cli.generators.client import ClientOptions, plan_client
from fastasync_cli.generators.endpoint import EndpointOptions, plan_endpoint
from fastasync_cli.generators.project import ProjectOptions, plan_project
from fastasync_cli.generators.task import TaskOptions, plan_task


def snapshot(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


def endpoint_plan(root: Path, name: str = "products", *specs: str):
    options = EndpointOptions(component_name(name, "endpoint"), tuple(parse_fields(list(specs))))
    return plan_endpoint(options, find_project(root)).plan


def test_plan_project_writes_nothing(tmp_path: Path) -> None:
    plan = plan_project(ProjectOptions(path=tmp_path / "p", name=project_name("p")))
    assert not (tmp_path / "p").exists()
    assert plan.creates_root
    assert {c.action for c in plan.changes} == {Action.CREATE}
    assert "app/main.py" in {str(c.path) for c in plan.changes}


def test_endpoint_plan_on_a_generated_project(project: Path) -> None:
    before = snapshot(project)
    plan = endpoint_plan(project, "products", "price:float", "note:str?")
    assert snapshot(project) == before
    actions = {str(c.path): c.action for c in plan.changes}
    assert actions["app/api/routes/products.py"] is Action.CREATE
    assert actions["app/api/main.py"] is Action.UPDATE
    assert actions[".fastasync.toml"] is Action.UPDATE
    schema = next(c for c in plan.changes if str(c.path) == "app/schemas/products.py").content
    assert (
        "    price: FiniteFloat\n"
        "    note: Annotated[str, Field(max_length=255), NO_NUL] | None = None\n"
    ) in schema


def test_endpoint_plan_on_a_restructured_file(project: Path) -> None:
    (project / "app/api/main.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n"
    )
    with pytest.raises(EditError) as caught:
        endpoint_plan(project)
    assert "api_router.include_router(products.router)" in caught.value.details


def test_endpoint_plan_on_a_file_with_a_syntax_error(project: Path) -> None:
    (project / "app/main.py").write_text("def broken(:\n")
    with pytest.raises(EditError) as caught:
        endpoint_plan(project)
    assert caught.value.message.startswith("app/main.py does not parse (line 1")
    assert 'state["products_repository"] = InMemoryProductRepository()' in caught.value.details


def test_endpoint_plan_when_a_file_is_gone(project: Path) -> None:
    (project / "app/api/deps.py").unlink()
    with pytest.raises(EditError) as caught:
        endpoint_plan(project)
    assert caught.value.message == (
        "app/api/deps.py is missing, so fastasync cannot register the new code in it."
    )


def test_client_and_task_plans(project: Path) -> None:
    manifest = find_project(project)
    client = plan_client(
        ClientOptions(component_name("github", "client"), "https://api.github.com"), manifest
    ).plan
    assert {str(c.path) for c in client.changes} >= {
        "app/clients/github.py",
        "tests/clients/test_github.py",
        "app/core/config.py",
        ".env.example",
        "app/main.py",
        "app/api/deps.py",
    }
    task = plan_task(TaskOptions(component_name("crunch", "task"), kind="cpu"), manifest).plan
    module = next(c for c in task.changes if str(c.path) == "app/tasks/crunch.py").content
    assert 'kind="cpu"' in module and "def crunch(payload: CrunchInput)" in module


def test_installed_versions_satisfy_the_generated_dependency_ranges(project: Path) -> None:
    """This repo's dev environment runs generated projects: keep it within their ranges."""
    pyproject = tomlkit.parse((project / "pyproject.toml").read_text()).unwrap()
    requirements = (
        pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["dev"]
    )
    for line in requirements:
        requirement = Requirement(line)
        installed = version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (
            f"{requirement.name} {installed} is outside {line}"
        )


def celery_plan(root: Path, *, force: bool = False):
    from fastasync_cli.generators.celery import CeleryOptions, plan_celery

    return plan_celery(CeleryOptions(force=force), find_project(root)).plan


def test_celery_plan_on_a_generated_project(project: Path) -> None:
    before = snapshot(project)
    plan = celery_plan(project)
    assert snapshot(project) == before
    actions = {str(c.path): c.action for c in plan.changes}
    assert actions["app/worker.py"] is Action.CREATE
    assert actions["app/api/routes/jobs.py"] is Action.UPDATE
    assert actions["compose.yaml"] is Action.UPDATE
    assert not plan.conflicts
    manifest = next(c for c in plan.changes if str(c.path) == ".fastasync.toml").content
    assert "celery = true" in manifest
    worker = next(c for c in plan.changes if str(c.path) == "app/worker.py").content
    assert "celery_app = create_celery_app(get_settings(), CELERY_TASKS)" in worker


def test_celery_plan_bounds_results_and_records_when_jobs_start(project: Path) -> None:
    """A result is capped by a setting of its own; a worker records each job's start."""
    contents = {str(c.path): c.content for c in celery_plan(project).changes}
    config = contents["app/core/config.py"]
    assert "celery_result_max_bytes: int = Field(default=1024 * 1024, ge=1)" in config
    assert "# CELERY_RESULT_MAX_BYTES=1048576" in contents[".env.example"]
    assert "celery_result_max_bytes=65536" in contents["tests/conftest.py"]
    celery_app = contents["app/jobs/celery_app.py"]
    assert "raise ResultTooLargeError(msg)" in celery_app
    assert "task.update_state(" in celery_app
    assert "LOST_ERROR" in contents["app/jobs/celery_jobs.py"]


def test_celery_plan_bounds_job_inputs_before_they_are_queued(project: Path) -> None:
    """Each waiting job holds its input in Redis: an input has a setting of its own,
    answered with 413 before the job is queued, and a test of the generated project."""
    contents = {str(c.path): c.content for c in celery_plan(project).changes}
    config = contents["app/core/config.py"]
    assert "celery_input_max_bytes: int = Field(default=64 * 1024, gt=0)" in config
    assert "# CELERY_INPUT_MAX_BYTES=65536" in contents[".env.example"]
    assert "celery_input_max_bytes=65536" in contents["tests/conftest.py"]
    deps = contents["app/api/deps.py"]
    assert "from app.jobs.celery_jobs import" in deps
    assert "CeleryInputTooLargeError" in deps.split("async def get_celery_jobs")[0]
    assert "except CeleryInputTooLargeError as exc:" in deps
    assert "status.HTTP_413_CONTENT_TOO_LARGE" in deps
    assert "self._check_input_size(" in contents["app/jobs/celery_jobs.py"]
    assert "INPUT_TOO_LARGE" in contents["app/api/celery_errors.py"]
    assert "(625 MiB with the defaults)" in contents["README.md"]
    assert "def test_an_input_one_byte_over" in contents["tests/jobs/test_celery_input.py"]


def test_celery_plan_after_apply_is_identical_and_a_changed_module_conflicts(
    project: Path,
) -> None:
    apply(celery_plan(project))
    assert {c.action for c in celery_plan(project).changes} == {Action.IDENTICAL}
    module = project / "app/jobs/celery_app.py"
    module.write_text(module.read_text() + "# mine\n")
    again = celery_plan(project)
    assert [str(c.path) for c in again.conflicts] == ["app/jobs/celery_app.py"]
    forced = celery_plan(project, force=True)
    assert {str(c.path): c.action for c in forced.changes}["app/jobs/celery_app.py"] is (
        Action.OVERWRITE
    )


def test_celery_plan_on_a_file_with_a_syntax_error(project: Path) -> None:
    (project / "app/api/deps.py").write_text("def broken(:\n")
    with pytest.raises(EditError) as caught:
        celery_plan(project)
    assert caught.value.message.startswith("app/api/deps.py does not parse (line 1")
    assert "CeleryJobsDep = Annotated[CeleryJobs, Depends(get_celery_jobs)]" in (
        caught.value.details
    )


def test_celery_plan_on_a_restructured_lifespan(project: Path) -> None:
    main = project / "app/main.py"
    main.write_text(main.read_text().replace("yield state", "yield {**state}"))
    with pytest.raises(EditError) as caught:
        celery_plan(project)
    assert caught.value.message == (
        "app/main.py no longer has `yield state` inside `lifespan`, so fastasync cannot edit "
        "it safely."
    )
    assert (
        'state["celery_jobs"] = await stack.enter_async_context(CeleryJobs(settings))'
        in caught.value.details
    )


def test_celery_plan_on_a_pyproject_that_does_not_parse(project: Path) -> None:
    (project / "pyproject.toml").write_text("[project\n")
    with pytest.raises(EditError) as caught:
        celery_plan(project)
    assert caught.value.message.startswith("pyproject.toml does not parse (line 1")
    assert '"celery[redis]>=5.7.0,<6",  # in [project] dependencies' in caught.value.details


def test_celery_plan_on_compose_with_a_list_environment(project: Path) -> None:
    compose = project / "compose.yaml"
    compose.write_text(
        compose.read_text().replace("    restart:", "    environment:\n      - A=1\n    restart:")
    )
    changes = {str(c.path): c for c in celery_plan(project).changes}
    content = changes["compose.yaml"].content or ""
    assert "      - A=1\n      - REDIS_URL=redis://redis:6379/0\n" in content


def test_celery_plan_on_compose_with_a_scalar_environment_stops(project: Path) -> None:
    compose = project / "compose.yaml"
    compose.write_text(
        compose.read_text().replace("    restart:", "    environment: A\n    restart:")
    )
    with pytest.raises(EditError) as caught:
        celery_plan(project)
    assert caught.value.message == (
        "compose.yaml no longer has `services.app.environment` as a mapping, so fastasync "
        "cannot edit it safely."
    )


def test_celery_plan_keeps_a_setting_the_user_changed(project: Path) -> None:
    config = project / "app/core/config.py"
    config.write_text(
        config.read_text().replace(
            "    job_store_max:", '    redis_url: str = "redis://cache:6379/1"\n    job_store_max:'
        )
    )
    plan = celery_plan(project)
    new_config = next(c for c in plan.changes if str(c.path) == "app/core/config.py").content
    assert new_config.count("redis_url:") == 1
    assert 'redis_url: str = "redis://cache:6379/1"' in new_config


def test_installed_versions_satisfy_a_celery_project_s_ranges(project: Path) -> None:
    """This repo's dev environment runs Celery projects' tests: keep it in their ranges."""
    apply(celery_plan(project))
    pyproject = tomlkit.parse((project / "pyproject.toml").read_text()).unwrap()
    requirements = (
        pyproject["project"]["dependencies"] + pyproject["project"]["optional-dependencies"]["dev"]
    )
    assert any(line.startswith("celery[redis]") for line in requirements)
    assert any(line.startswith("redis>=") for line in requirements)
    for line in requirements:
        requirement = Requirement(line)
        installed = version(requirement.name)
        assert requirement.specifier.contains(installed, prereleases=True), (
            f"{requirement.name} {installed} is outside {line}"
        )

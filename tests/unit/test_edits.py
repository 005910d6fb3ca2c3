"""libcst edits: idempotent, comment-preserving, laid out as ruff format would."""

from __future__ import annotations

import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from ruff.__main__ import find_ruff_bin

from fastasync_cli.engine import config_edits, edits
from fastasync_cli.engine.pytest_config import ensure_toml_plugin, pytest_config
from fastasync_cli.engine.python_style import format_edited

ROUTERS = textwrap.dedent(
    '''\
    """Routers."""

    from fastapi import APIRouter

    from app.api.routes import health, jobs  # the built-in ones

    api_router = APIRouter(prefix="/api")
    api_router.include_router(jobs.router)

    router = APIRouter()
    router.include_router(api_router)
    '''
)


def ruff_formatted(source: str, line_length: int = 88) -> bool:
    from ruff.__main__ import find_ruff_bin

    result = subprocess.run(
        [find_ruff_bin(), "format", "--check", "--line-length", str(line_length), "-"],
        input=source,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode == 0


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project root with the generated ruff settings and an `app` package."""
    (tmp_path / "pyproject.toml").write_text(
        '[tool.ruff]\nline-length = 88\n\n[tool.ruff.lint]\nselect = ["E", "F", "I"]\n'
    )
    (tmp_path / "app").mkdir()
    (tmp_path / "app/__init__.py").write_text("")
    return tmp_path


def register(source: str, name: str, project: Path | None = None) -> str:
    module = edits.parse(source, "app/api/main.py")
    module = edits.ensure_from_import(module, "app.api.routes", name)
    module = edits.ensure_statement_after_last(
        module,
        f"api_router.include_router({name}.router)",
        edits.is_call_to("api_router.include_router"),
        "an include_router line",
    )
    if project is None:
        return module.code
    return format_edited(project, "app/api/main.py", source, module.code)


def test_import_merged_sorted_and_comment_kept(project: Path) -> None:
    result = register(ROUTERS, "products", project)
    assert "from app.api.routes import health, jobs, products  # the built-in ones\n" in result
    assert (
        "api_router.include_router(jobs.router)\napi_router.include_router(products.router)\n"
        in result
    )
    assert register(result, "products", project) == result
    assert ruff_formatted(result)


def test_without_the_pipeline_an_import_is_a_line_of_its_own() -> None:
    result = register(ROUTERS, "products")
    assert (
        "from app.api.routes import health, jobs  # the built-in ones\n"
        "from app.api.routes import products\n"
    ) in result


def test_long_import_is_wrapped_like_ruff(project: Path) -> None:
    result = ROUTERS
    for name in ["inventory_adjustments", "purchase_orders", "warehouse_locations"]:
        result = register(result, name, project)
    assert (
        "from app.api.routes import (  # the built-in ones\n    health,\n    inventory_adjustments,"
        in result
    )
    assert ruff_formatted(result)


def test_unsorted_imports_are_not_sorted(project: Path) -> None:
    source = ROUTERS.replace(
        "from fastapi import APIRouter\n", "from fastapi import APIRouter\nimport os\n"
    )
    result = register(source, "products", project)
    assert "from fastapi import APIRouter\nimport os\n" in result
    assert "from app.api.routes import products\n" in result


def test_missing_anchor_raises_and_names_it() -> None:
    source = '"""x"""\n\nfrom app.api.routes import health\n\nrouter = 1\n'
    with pytest.raises(edits.AnchorMissing, match="an include_router line"):
        register(source, "products")


def test_syntax_error_is_reported_with_its_line() -> None:
    with pytest.raises(edits.SourceError, match=r"app/x.py does not parse \(line 2"):
        edits.parse("x = 1\ndef (:\n", "app/x.py")


def test_new_first_party_import_goes_in_sorted_place() -> None:
    source = textwrap.dedent(
        """\
        import logging

        from fastapi import FastAPI

        from app.api.main import router
        from app.jobs import JobRunner

        x = 1
        """
    )
    module = edits.ensure_from_import(edits.parse(source, "m"), "app.clients.github", "Github")
    assert module.code.splitlines()[4:7] == [
        "from app.api.main import router",
        "from app.clients.github import Github",
        "from app.jobs import JobRunner",
    ]


def test_a_star_import_of_the_module_still_gets_the_name_imported() -> None:
    """`from package import *` binds a submodule only if `__all__` lists it, and
    `add endpoint` registered `things.router` without importing `things`."""
    source = "from app.api.routes import *  # noqa: F403\n\nx = 1\n"
    module = edits.ensure_from_import(edits.parse(source, "m"), "app.api.routes", "things")
    assert module.code.splitlines()[:2] == [
        "from app.api.routes import *  # noqa: F403",
        "from app.api.routes import things",
    ]
    again = edits.ensure_from_import(module, "app.api.routes", "things")
    assert again.code == module.code


def test_a_statement_over_several_lines_is_not_inserted_before_itself_again() -> None:
    """`add db`'s job store line, once ruff laid it out over five lines, was never
    found again: a second run inserted it a second time."""
    from fastasync_cli.engine.python_edits import swaps

    source = textwrap.dedent(
        """\
        async def lifespan(app):
            job_store = await stack.enter_async_context(
                SqlJobStore(
                    state["database"], settings.job_store_max, settings.job_ttl_s
                )
            )
            state["jobs"] = JobRunner(settings, store=job_store)
        """
    )
    module = swaps.ensure_statement_before(
        edits.parse(source, "m"),
        "lifespan",
        swaps.starts_with('state["jobs"] ='),
        "the jobs line",
        "job_store = await stack.enter_async_context(\n"
        '    SqlJobStore(state["database"], settings.job_store_max, settings.job_ttl_s)\n'
        ")",
    )
    assert module.code == source


def test_list_registry_grows_and_wraps(project: Path) -> None:
    source = '"""Tasks."""\n\nfrom app.jobs import TaskSpec\n\nTASKS: list[TaskSpec] = []\n'
    code = source
    for name in ["summarize", "resize_images", "generate_report", "send_newsletters"]:
        module = edits.ensure_list_element(edits.parse(code, "t"), "TASKS", f"{name}.task")
        code = format_edited(project, "app/tasks/__init__.py", code, module.code)
    assert "TASKS: list[TaskSpec] = [\n    summarize.task,\n    resize_images.task," in code
    assert (
        edits.ensure_list_element(edits.parse(code, "t"), "TASKS", "x.task").code.count(
            "summarize.task"
        )
        == 1
    )
    assert edits.ensure_list_element(edits.parse(code, "t"), "TASKS", "summarize.task").code == code
    assert ruff_formatted(code)


def test_list_registry_keeps_comments_inside_the_list() -> None:
    source = textwrap.dedent(
        """\
        TASKS: list[TaskSpec] = [
            summarize.task,  # the first one
            # crunch.task,  (off for now)
            resize.task
        ]
        """
    )
    module = edits.ensure_list_element(edits.parse(source, "t"), "TASKS", "report.task")
    assert module.code == textwrap.dedent(
        """\
        TASKS: list[TaskSpec] = [
            summarize.task,  # the first one
            # crunch.task,  (off for now)
            resize.task,
            report.task,
        ]
        """
    )
    gone = edits.ensure_list_element_absent(module, "TASKS", "report.task")
    assert gone.code == source.replace("resize.task\n", "resize.task,\n")
    assert edits.ensure_list_element_absent(gone, "TASKS", "nothing.task").code == gone.code


def test_class_fields_are_appended_once_and_differences_reported() -> None:
    source = 'class Settings:\n    """S."""\n\n    app_name: str = "x"\n'
    fields = [edits.Field("gh_base_url", 'gh_base_url: str = "https://a"')]
    module, differing = edits.ensure_class_fields(
        edits.parse(source, "c"), "Settings", fields, "gh"
    )
    assert differing == []
    assert module.code.endswith('    # gh\n    gh_base_url: str = "https://a"\n')
    assert ruff_formatted(module.code)
    other = [edits.Field("gh_base_url", 'gh_base_url: str = "https://b"')]
    same, differing = edits.ensure_class_fields(module, "Settings", other, "gh")
    assert differing == ["gh_base_url"] and same.code == module.code
    replaced, _ = edits.ensure_class_fields(module, "Settings", other, "gh", replace=True)
    assert '"https://b"' in replaced.code and '"https://a"' not in replaced.code


LIFESPAN = textwrap.dedent(
    """\
    def create_app(settings):
        @asynccontextmanager
        async def lifespan(app):
            async with AsyncExitStack() as stack:
                state = {"settings": settings}
                # resources
                yield state

        return lifespan
    """
)


def test_lifespan_line_goes_before_yield_and_long_lines_wrap(project: Path) -> None:
    line = (
        'state["weather_service"] = await stack.enter_async_context('
        "WeatherServiceClient.from_settings(settings))"
    )
    module = edits.ensure_statement_before_yield(edits.parse(LIFESPAN, "m"), "lifespan", line)
    code = format_edited(project, "app/main.py", LIFESPAN, module.code)
    # A comment above `yield state` stays attached to it.
    assert (
        '            state["weather_service"] = await stack.enter_async_context(\n'
        "                WeatherServiceClient.from_settings(settings)\n"
        "            )\n"
        "            # resources\n"
        "            yield state\n"
    ) in code
    again = edits.ensure_statement_before_yield(edits.parse(code, "m"), "lifespan", line)
    assert again.code == code
    assert ruff_formatted(code)


def test_lifespan_edit_uses_the_names_the_user_bound() -> None:
    source = LIFESPAN.replace("as stack", "as resources").replace("state", "shared")
    line = 'state["x"] = await stack.enter_async_context(X())'
    module = edits.ensure_statement_before_yield(edits.parse(source, "m"), "lifespan", line)
    assert 'shared["x"] = await resources.enter_async_context(X())\n' in module.code
    again = edits.ensure_statement_before_yield(module, "lifespan", line)
    assert again.code == module.code
    without_stack = "async def lifespan(app):\n    state = {}\n    yield state\n"
    with pytest.raises(edits.AnchorMissing, match="AsyncExitStack"):
        edits.ensure_statement_before_yield(edits.parse(without_stack, "m"), "lifespan", line)
    plain = edits.ensure_statement_before_yield(
        edits.parse(without_stack, "m"), "lifespan", 'state["y"] = Y()'
    )
    assert 'state["y"] = Y()\n    yield state' in plain.code


def test_lifespan_without_yield_state_is_an_anchor_error() -> None:
    source = "async def lifespan(app):\n    yield {}\n"
    with pytest.raises(edits.AnchorMissing, match="`yield state` inside `lifespan`"):
        edits.ensure_statement_before_yield(edits.parse(source, "m"), "lifespan", "x = 1")


def test_definitions_are_appended_with_two_blank_lines_once() -> None:
    source = "from typing import Annotated\n\nX = 1\n"
    snippet = "async def get_y() -> int:\n    return 1\n\n\nYDep = Annotated[int, get_y]\n"
    module = edits.ensure_definitions(edits.parse(source, "d"), snippet)
    assert module.code == source + "\n\n" + snippet
    assert edits.ensure_definitions(module, snippet).code == module.code
    assert ruff_formatted(module.code)


GET_JOB = textwrap.dedent(
    '''\
    @router.get("/{job_id}")
    async def get_job(job_id: str, jobs: JobRunnerDep) -> Job:
        """The job."""
        job = jobs.get(job_id)  # local first
        if job is None:
            raise HTTPException(404)
        return job
    '''
)


def test_parameter_is_appended_once_and_the_signature_wraps_like_ruff(project: Path) -> None:
    module = edits.ensure_parameter(edits.parse(GET_JOB, "j"), "get_job", "celery: CeleryDep")
    code = format_edited(project, "app/api/routes/jobs.py", GET_JOB, module.code)
    assert "async def get_job(job_id: str, jobs: JobRunnerDep, celery: CeleryDep) -> Job:\n" in (
        code
    )
    assert edits.ensure_parameter(edits.parse(code, "j"), "get_job", "celery: CeleryDep").code == (
        code
    )
    longer = edits.ensure_parameter(
        edits.parse(code, "j"), "get_job", "another_parameter: AnotherDependency"
    )
    longer_code = format_edited(project, "app/api/routes/jobs.py", code, longer.code)
    assert (
        "async def get_job(\n    job_id: str,\n    jobs: JobRunnerDep,\n    celery: CeleryDep,\n"
        "    another_parameter: AnotherDependency,\n) -> Job:\n"
    ) in longer_code
    assert ruff_formatted(code) and ruff_formatted(longer_code)


def test_parameter_keeps_the_users_layout_and_comments() -> None:
    source = GET_JOB.replace(
        "async def get_job(job_id: str, jobs: JobRunnerDep) -> Job:",
        "async def get_job(\n    job_id: str,  # from the path\n    jobs: JobRunnerDep\n) -> Job:",
    )
    module = edits.ensure_parameter(edits.parse(source, "j"), "get_job", "celery: CeleryDep")
    assert (
        "async def get_job(\n    job_id: str,  # from the path\n    jobs: JobRunnerDep,\n"
        "    celery: CeleryDep,\n) -> Job:"
    ) in module.code


def test_a_parameter_added_by_hand_as_keyword_only_counts() -> None:
    source = GET_JOB.replace("jobs: JobRunnerDep)", "*, jobs: JobRunnerDep, celery: CeleryDep)")
    module = edits.parse(source, "j")
    assert edits.ensure_parameter(module, "get_job", "celery: CeleryDep").code == source


def test_parameter_edit_needs_the_function_and_a_plain_parameter_list() -> None:
    with pytest.raises(edits.AnchorMissing, match="a function `get_job`"):
        edits.ensure_parameter(edits.parse("x = 1\n", "j"), "get_job", "a: int")
    source = "def get_job(*args: int) -> None:\n    pass\n"
    with pytest.raises(edits.AnchorMissing, match="a plain parameter list in `get_job`"):
        edits.ensure_parameter(edits.parse(source, "j"), "get_job", "a: int")


def test_statement_replaced_in_a_one_line_function_is_an_anchor_missing() -> None:
    """`def get_job(): job = ...` on one line was a TypeError (an unexpected error)."""
    source = "def get_job(job_id): job = jobs.get(job_id); return job\n"
    with pytest.raises(
        edits.AnchorMissing, match=re.escape("`job = jobs.get(job_id)` inside `get_job`")
    ):
        edits.ensure_statement_replaced(
            edits.parse(source, "j"), "get_job", "job = jobs.get(job_id)", "job = 1"
        )


def test_list_edit_on_a_function_of_the_lists_name_is_an_anchor_missing() -> None:
    """A `def TASKS()` or `class TASKS` failed an assertion (an unexpected error)."""
    for source in ("def TASKS():\n    return []\n", "class TASKS:\n    pass\n"):
        module = edits.parse(source, "t")
        with pytest.raises(
            edits.AnchorMissing, match=re.escape("`TASKS = [...]` as a list literal")
        ):
            edits.ensure_list_element(module, "TASKS", "x.task")
        assert edits.ensure_list_element_absent(module, "TASKS", "x.task").code == source


def test_statement_is_replaced_in_place_keeping_its_comment() -> None:
    old, new = "job = jobs.get(job_id)", "job = jobs.get(job_id) or await celery.get(job_id)"
    module = edits.ensure_statement_replaced(edits.parse(GET_JOB, "j"), "get_job", old, new)
    assert f"    {new}  # local first\n" in module.code
    assert edits.ensure_statement_replaced(module, "get_job", old, new).code == module.code
    with pytest.raises(edits.AnchorMissing, match=r"`job = jobs.find\(job_id\)` inside `get_job`"):
        edits.ensure_statement_replaced(module, "get_job", "job = jobs.find(job_id)", "x = 1")


SETTINGS_FIXTURE = textwrap.dedent(
    '''\
    def settings() -> Settings:
        """Test settings."""
        return Settings(
            _env_file=None,
            app_name="test-app",
            job_store_max=100  # small
        )
    '''
)


def test_call_keywords_are_added_one_a_line_and_comments_survive() -> None:
    keywords = [("app_name", '"other"'), ("broker", '"memory://"'), ("retries", "0")]
    module = edits.ensure_call_keywords(
        edits.parse(SETTINGS_FIXTURE, "c"), "settings", "Settings", keywords
    )
    assert module.code.endswith(
        '        app_name="test-app",\n'
        "        job_store_max=100,  # small\n"
        '        broker="memory://",\n'
        "        retries=0,\n"
        "    )\n"
    )
    assert edits.ensure_call_keywords(module, "settings", "Settings", keywords).code == (
        module.code
    )
    assert ruff_formatted(module.code)
    inline = edits.ensure_call_keywords(
        edits.parse("def settings():\n    return Settings(a=1)\n", "c"),
        "settings",
        "Settings",
        keywords[1:],
    )
    assert inline.code == (
        'def settings():\n    return Settings(\n        a=1,\n        broker="memory://",\n'
        "        retries=0,\n    )\n"
    )
    with pytest.raises(edits.AnchorMissing, match=r"a `Settings\(...\)` call inside `settings`"):
        edits.ensure_call_keywords(
            edits.parse("def settings():\n    return {}\n", "c"), "settings", "Settings", keywords
        )


def test_imports_go_to_their_isort_section() -> None:
    source = textwrap.dedent(
        """\
        \"\"\"Fixtures.\"\"\"

        from collections.abc import Iterator

        import pytest
        from fastapi import FastAPI

        from app.main import create_app
        """
    )
    module = edits.parse(source, "c")
    module = edits.ensure_from_import(module, "celery", "Celery")
    module = edits.ensure_from_import(module, "typing", "Any")
    module = edits.ensure_from_import(module, "celery.contrib.testing.worker", "start_worker")
    module = edits.ensure_from_import(module, "app.tasks", "CELERY_TASKS")
    assert module.code == textwrap.dedent(
        """\
        \"\"\"Fixtures.\"\"\"

        from collections.abc import Iterator
        from typing import Any

        import pytest
        from celery import Celery
        from celery.contrib.testing.worker import start_worker
        from fastapi import FastAPI

        from app.main import create_app
        from app.tasks import CELERY_TASKS
        """
    )
    only_first_party = edits.parse('"""M."""\n\nfrom app.jobs import TaskSpec\n\nX = 1\n', "t")
    added = edits.ensure_from_import(only_first_party, "celery", "Celery")
    assert added.code == (
        '"""M."""\n\nfrom celery import Celery\n\nfrom app.jobs import TaskSpec\n\nX = 1\n'
    )


PYPROJECT = textwrap.dedent(
    """\
    [project]
    name = "demo"
    # pinned with care
    dependencies = [
        "fastapi>=0.1,<1",  # the web framework
        "anyio>=4,<5",
    ]

    [tool.pytest.ini_options]
    addopts = ["-ra"]
    """
)


def test_toml_dependency_is_appended_once_keeping_comments() -> None:
    text = config_edits.ensure_toml_dependency(PYPROJECT, "pyproject.toml", "celery[redis]>=5.7,<6")
    assert text == PYPROJECT.replace(
        '    "anyio>=4,<5",\n', '    "anyio>=4,<5",\n    "celery[redis]>=5.7,<6",\n'
    )
    assert (
        config_edits.ensure_toml_dependency(text, "pyproject.toml", "celery[redis]>=5.7,<6") == text
    )
    with pytest.raises(edits.AnchorMissing, match=r"a `dev = \[...\]` list in"):
        config_edits.ensure_toml_dependency(PYPROJECT, "p", "redis", extra="dev")
    with_dev = PYPROJECT.replace(
        "\n[tool.pytest", '[project.optional-dependencies]\ndev = ["pytest"]\n\n[tool.pytest'
    )
    assert 'dev = ["pytest", "redis>=8"]' in config_edits.ensure_toml_dependency(
        with_dev, "p", "redis>=8", extra="dev"
    )
    # The user's own range for the same distribution stays.
    pinned = PYPROJECT.replace('"anyio>=4,<5",', '"anyio>=4,<5",\n    "Celery==5.7.1",')
    assert config_edits.ensure_toml_dependency(pinned, "p", "celery[redis]>=5.7,<6") == pinned


def test_toml_dev_dependency_goes_to_the_dev_group_without_a_dev_extra() -> None:
    """A project that keeps its dev tools in a PEP 735 `[dependency-groups]` dev
    group only was told to add `redis` to a `[project.optional-dependencies]` dev list
    it does not have, and the command stopped there every time."""
    grouped = PYPROJECT + '\n[dependency-groups]\ndev = ["pytest", {include-group = "lint"}]\n'
    text = config_edits.ensure_toml_dependency(grouped, "p", "redis>=8", extra="dev")
    assert text == grouped.replace('"lint"}]', '"lint"}, "redis>=8"]')
    assert config_edits.ensure_toml_dependency(text, "p", "redis>=8", extra="dev") == text


def test_toml_edits_need_their_tables() -> None:
    with pytest.raises(edits.AnchorMissing, match=r"a `dependencies = \[...\]` list"):
        config_edits.ensure_toml_dependency('[project]\nname = "x"\n', "p", "celery")
    with pytest.raises(edits.AnchorMissing, match=r"a `\[tool.pytest.ini_options\]` table"):
        ensure_toml_plugin('[project]\nname = "x"\n', "p", "celery.contrib.pytest")
    with pytest.raises(edits.SourceError, match=r"pyproject.toml does not parse \(line 1"):
        config_edits.ensure_toml_dependency("[project\n", "pyproject.toml", "celery")


def test_pytest_plugin_is_added_to_list_or_string_addopts_once() -> None:
    text = ensure_toml_plugin(PYPROJECT, "p", "celery.contrib.pytest")
    assert 'addopts = ["-ra", "-p", "celery.contrib.pytest"]\n' in text
    assert ensure_toml_plugin(text, "p", "celery.contrib.pytest") == text
    as_string = PYPROJECT.replace('addopts = ["-ra"]', 'addopts = "-ra -q"')
    text = ensure_toml_plugin(as_string, "p", "celery.contrib.pytest")
    assert 'addopts = "-ra -q -p celery.contrib.pytest"\n' in text
    assert ensure_toml_plugin(text, "p", "celery.contrib.pytest") == text
    missing = PYPROJECT.replace('addopts = ["-ra"]\n', 'testpaths = ["tests"]\n')
    text = ensure_toml_plugin(missing, "p", "celery.contrib.pytest")
    assert 'addopts = ["-p", "celery.contrib.pytest"]\n' in text


NATIVE_PYPROJECT = '[project]\nname = "x"\n\n[tool.pytest]\naddopts = [\n    "-ra",\n]\n'


def test_pytest_plugin_goes_to_pytest_9_s_native_tool_pytest_table() -> None:
    """pytest 9 reads `[tool.pytest]` (native TOML, `addopts` a list); a project
    configured there was told it had no `[tool.pytest.ini_options]` table."""
    text = ensure_toml_plugin(NATIVE_PYPROJECT, "p", "celery.contrib.pytest", "tool.pytest")
    assert text == NATIVE_PYPROJECT.replace(
        '"-ra",\n', '"-ra",\n    "-p",\n    "celery.contrib.pytest",\n'
    )
    assert ensure_toml_plugin(text, "p", "celery.contrib.pytest", "tool.pytest") == text
    no_addopts = '[tool.pytest]\ntestpaths = ["tests"]\n'
    assert ensure_toml_plugin(no_addopts, "p", "x.y", "tool.pytest") == (
        '[tool.pytest]\ntestpaths = ["tests"]\naddopts = ["-p", "x.y"]\n'
    )
    # pytest.toml's own table.
    assert ensure_toml_plugin('[pytest]\naddopts = ["-q"]\n', "pytest.toml", "x.y", "pytest") == (
        '[pytest]\naddopts = ["-q", "-p", "x.y"]\n'
    )


def test_native_pytest_table_needs_addopts_as_a_list() -> None:
    """pytest's native mode refuses a string `addopts`; appending to it would keep a
    value pytest cannot start with."""
    with pytest.raises(
        edits.AnchorMissing, match=r"`addopts` as a list of strings in `\[tool.pytest\]`"
    ):
        ensure_toml_plugin('[tool.pytest]\naddopts = "-ra"\n', "p", "x.y", "tool.pytest")
    both = '[tool.pytest]\nminversion = "9.0"\n\n[tool.pytest.ini_options]\naddopts = "-ra"\n'
    with pytest.raises(edits.AnchorMissing, match=r"only one of `\[tool.pytest\]` and"):
        ensure_toml_plugin(both, "p", "x.y", "tool.pytest")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"pyproject.toml": NATIVE_PYPROJECT}, ("pyproject.toml", None, "tool.pytest")),
        (
            {"pyproject.toml": '[tool.pytest.ini_options]\naddopts = "-q"\n'},
            ("pyproject.toml", None, "tool.pytest.ini_options"),
        ),
        (
            {"pyproject.toml": NATIVE_PYPROJECT, "pytest.toml": "[pytest]\n"},
            ("pytest.toml", None, "pytest"),
        ),
        (
            {"pytest.ini": "[pytest]\n", ".pytest.toml": "[pytest]\n"},
            (".pytest.toml", None, "pytest"),
        ),
        (
            {"pyproject.toml": "[tool.pytest]\n", "tox.ini": "[pytest]\n"},
            ("tox.ini", "pytest", None),
        ),
    ],
    ids=["native", "ini-options", "pytest.toml", "hidden-pytest.toml", "empty-native-table"],
)
def test_pytest_config_is_found_where_pytest_9_looks(
    tmp_path: Path, files: dict[str, str], expected: tuple[str, str | None, str | None]
) -> None:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    found = pytest_config(tmp_path)
    assert (found.rel, found.section, found.table) == expected


COMPOSE = textwrap.dedent(
    """\
    services:
      app:
        build: .
        # the user's comment
        ports:
          - "8000:8000"
        healthcheck:
          test:
            - CMD
            - python
            - -c
            - import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health')
        depends_on:
          db:
            condition: service_started
    """
)

COMPOSE_SNIPPET = textwrap.dedent(
    """\
    services:
      app:
        depends_on:
          redis:
            condition: service_healthy
      redis:
        image: redis:7-alpine
    volumes:
      redis-data:
    """
)


def test_yaml_entries_are_merged_keeping_the_rest_byte_for_byte() -> None:
    text = config_edits.ensure_yaml_entries(COMPOSE, "compose.yaml", COMPOSE_SNIPPET)
    assert text.startswith(COMPOSE)
    assert text == COMPOSE + (
        "      redis:\n"
        "        condition: service_healthy\n"
        "  redis:\n"
        "    image: redis:7-alpine\n"
        "volumes:\n"
        "  redis-data:\n"
    )
    assert config_edits.ensure_yaml_entries(text, "compose.yaml", COMPOSE_SNIPPET) == text


def test_yaml_edit_stops_where_the_user_wrote_something_else() -> None:
    listed = COMPOSE.replace(
        "    depends_on:\n      db:\n        condition: service_started\n",
        "    depends_on:\n      - db\n",
    )
    with pytest.raises(edits.AnchorMissing, match=r"`services.app.depends_on` as a mapping"):
        config_edits.ensure_yaml_entries(listed, "compose.yaml", COMPOSE_SNIPPET)
    with pytest.raises(edits.SourceError, match=r"compose.yaml does not parse \(line 3: "):
        config_edits.ensure_yaml_entries("services:\n  app: [\n", "compose.yaml", COMPOSE_SNIPPET)
    with pytest.raises(edits.AnchorMissing, match="a mapping at the top level"):
        config_edits.ensure_yaml_entries("- a\n", "compose.yaml", COMPOSE_SNIPPET)


COMPOSE_WITH_ANCHORS = textwrap.dedent(
    """\
    # My services
    x-common: &common
      restart: unless-stopped  # always
      env_file: .env

    services:
      app:
        <<: *common
        build: .
        # the port
        ports:
          - "8000:8000"
        environment:
          A: "1"   # keep

    # trailing comment
    """
)


def test_yaml_edit_keeps_anchors_and_leaves_comments_where_they_were() -> None:
    snippet = "services:\n  app:\n    environment:\n      B: b\n  redis:\n    image: r\n"
    result = config_edits.ensure_yaml_entries(COMPOSE_WITH_ANCHORS, "compose.yaml", snippet)
    assert result == COMPOSE_WITH_ANCHORS.replace(
        '      A: "1"   # keep\n\n# trailing comment\n',
        '      A: "1"   # keep\n      B: b\n  redis:\n    image: r\n\n# trailing comment\n',
    )
    assert config_edits.ensure_yaml_entries(result, "compose.yaml", snippet) == result


@pytest.mark.parametrize(
    ("loop", "line"),
    [
        ("x-loop: &loop\n  again: *loop\n", 4),  # a mapping holding itself
        ("x-list: &list\n  - 1\n  - [*list]\n", 4),  # a sequence, one level down
    ],
)
def test_yaml_edit_refuses_an_anchor_that_refers_to_itself(loop: str, line: int) -> None:
    """ruamel.yaml loaded the alias as an empty value: the edit dropped it."""
    source = "services:\n  app:\n    build: .\n" + loop
    with pytest.raises(
        edits.SourceError, match=rf"an anchor that refers to itself \(`&\w+`, line {line}\)"
    ):
        config_edits.ensure_yaml_entries(source, "compose.yaml", COMPOSE_SNIPPET)


def test_yaml_aliases_used_twice_are_not_a_loop() -> None:
    source = "x: &x {a: 1}\nservices:\n  app: {one: *x, two: *x}\n"
    result = config_edits.ensure_yaml_entries(source, "compose.yaml", "services:\n  b: {c: 1}\n")
    assert "one: *x, two: *x" in result


def test_yaml_blank_line_between_services_stays_between_them() -> None:
    """A blank line (no comment) after `app`'s last entry moved above the added ones,
    into `app`'s `environment`, and none was left before the next service."""
    source = "services:\n  app:\n    environment:\n      A: 1\n\n  worker:\n    image: w\n"
    snippet = "services:\n  app:\n    environment:\n      B: 2\n"
    result = config_edits.ensure_yaml_entries(source, "compose.yaml", snippet)
    assert result == source.replace("A: 1\n", "A: 1\n      B: 2\n")


def test_yaml_snippet_comment_about_its_next_service_stays_above_it() -> None:
    """The snippet's comment before `db:` rode along with `app`'s last added entry, so
    in a compose file where `app` is not the last service it landed inside `app`."""
    source = (
        "services:\n  app:\n    depends_on:\n      redis:\n        x: 1\n\n  redis:\n    image: r\n"
    )
    snippet = (
        "services:\n  app:\n    depends_on:\n      db:\n        x: 2\n\n"
        "  # PostgreSQL\n  db:\n    image: p\n\nvolumes:\n  v:\n"
    )
    result = config_edits.ensure_yaml_entries(source, "compose.yaml", snippet)
    assert result == (
        "services:\n  app:\n    depends_on:\n      redis:\n        x: 1\n"
        "      db:\n        x: 2\n\n  redis:\n    image: r\n\n"
        "  # PostgreSQL\n  db:\n    image: p\n\nvolumes:\n  v:\n"
    )
    assert config_edits.ensure_yaml_entries(result, "compose.yaml", snippet) == result


def test_yaml_comment_indented_into_the_last_entry_stays_in_it() -> None:
    """The CI workflow's commented-out steps, at the end of `steps`, moved below the
    `services` that `add db --kind postgres` adds to the job: uncommented as the
    comment says, they would have landed inside `services`."""
    source = "jobs:\n  test:\n    steps:\n      - run: a\n      # - run: b\n"
    snippet = "jobs:\n  test:\n    services:\n      pg:\n        image: p\n"
    result = config_edits.ensure_yaml_entries(source, "ci.yml", snippet)
    assert result == source + "    services:\n      pg:\n        image: p\n"


def test_yaml_list_environment_gets_the_missing_settings() -> None:
    source = "services:\n  app:\n    environment:\n      - A=1  # mine\n"
    snippet = "services:\n  app:\n    environment:\n      A: x\n      B: b\n"
    result = config_edits.ensure_yaml_entries(source, "compose.yaml", snippet)
    assert result == source + "      - B=b\n"


def test_toml_arrays_grow_in_their_own_layout_and_stay_valid() -> None:
    source = textwrap.dedent(
        """\
        [project]
        dependencies = [
            "a>=1",
            "b>=2"  # retries
            # more to come
        ]

        [tool.pytest.ini_options]
        addopts = [
          "-ra",  # report
          "--strict-markers",
        ]
        """
    )
    result = config_edits.ensure_toml_dependency(source, "pyproject.toml", "c>=3")
    result = ensure_toml_plugin(result, "pyproject.toml", "celery.contrib.pytest")
    assert result == source.replace(
        '    "b>=2"  # retries\n    # more to come\n',
        '    "b>=2",  # retries\n    # more to come\n    "c>=3",\n',
    ).replace(
        '  "--strict-markers",\n', '  "--strict-markers",\n  "-p",\n  "celery.contrib.pytest",\n'
    )
    assert config_edits.ensure_toml_dependency(result, "pyproject.toml", "c>=3") == result


def test_a_comment_inside_a_parenthesised_import_survives(project: Path) -> None:
    source = ROUTERS.replace(
        "from app.api.routes import health, jobs  # the built-in ones\n",
        "from app.api.routes import (\n    health,  # for load balancers\n"
        "    # jobs come next\n    jobs,\n)\n",
    )
    result = register(source, "products", project)
    assert (
        "from app.api.routes import (\n    health,  # for load balancers\n"
        "    # jobs come next\n    jobs,\n    products,\n)\n"
    ) in result
    assert ruff_formatted(result)


def isort_clean(project: Path, source: str) -> bool:
    result = subprocess.run(
        [
            *(find_ruff_bin(), "check", "--select", "I", "--quiet"),
            *("--config", "lint.isort.known-first-party = ['app']"),
            *("--stdin-filename", str(project / "app/api/main.py")),
        ],
        input=source,
        capture_output=True,
        text=True,
        cwd=project,
        check=False,
    )
    return result.returncode == 0


def test_aliased_imports_merge_in_ruff_s_order(project: Path) -> None:
    source = ROUTERS.replace(
        "from app.api.routes import health, jobs  # the built-in ones\n",
        "from app.api.routes import health as health_routes\nfrom app.api.routes import jobs\n",
    ).replace("router.include_router(api_router)", "router.include_router(health_routes.router)")
    assert isort_clean(project, source)
    result = register(source, "celery_jobs", project)
    assert isort_clean(project, result), result
    assert (
        "from app.api.routes import celery_jobs, jobs\n"
        "from app.api.routes import health as health_routes\n"
    ) in result or (
        "from app.api.routes import health as health_routes\n"
        "from app.api.routes import celery_jobs, jobs\n"
    ) in result


@pytest.mark.parametrize(
    "addopts",
    ["addopts =\n    -ra\n    -q\n", "addopts = -ra  # quiet\n"],
    ids=["continued", "commented"],
)
def test_ini_addopts_the_edit_cannot_extend_safely_is_left_to_the_user(addopts: str) -> None:
    from fastasync_cli.engine.pytest_config import ensure_ini_plugin

    with pytest.raises(edits.AnchorMissing, match="`addopts` on one line"):
        ensure_ini_plugin(f"[pytest]\n{addopts}", "pytest.ini", "pytest", "p.plugin")
    done = f"[pytest]\n{addopts.replace('-ra', '-ra -p p.plugin')}"
    assert ensure_ini_plugin(done, "pytest.ini", "pytest", "p.plugin") == done

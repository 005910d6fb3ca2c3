"""`fastasync add celery`: Celery workers with Redis, behind the same jobs API.

Nothing the project generated is replaced: new modules hold the Celery code, and the
files the user owns get small syntax-tree edits: settings, the lifespan, a dependency,
one line and one parameter of `GET /api/jobs/{id}`, the router list, one line of
`create_app` (Redis's 503 in OpenAPI, `app/api/celery_errors.py`), the task
registry, the test fixtures, pyproject.toml, .env.example, compose.yaml and README.md.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from fastasync_cli.engine import config_edits, edits
from fastasync_cli.engine.plan import plan_update
from fastasync_cli.engine.project import MANIFEST_NAME, Manifest, with_project_option
from fastasync_cli.engine.pytest_config import (
    PYPROJECT,
    PytestConfig,
    ensure_ini_plugin,
    ensure_toml_plugin,
    pytest_config,
)
from fastasync_cli.engine.python_edits import swaps as swap_edits
from fastasync_cli.engine.render import render_piece
from fastasync_cli.generators.celery_deploy import CI_REDIS, CI_WORKFLOW, COMPOSE
from fastasync_cli.generators.celery_settings import (
    ENV_COMMENT,
    ENV_ENTRIES,
    SETTING_NAMES,
    SETTINGS_COMMENT,
    SETTINGS_FIELDS,
    TEST_SETTINGS,
)
from fastasync_cli.generators.celery_upgrade import (
    dependency_edit,
    previous,
    readme_input_limit,
)
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.component_edits import PythonEdit, edit_settings_fields, import_edit
from fastasync_cli.generators.db_endpoints import RESPONSES_MODULE, response_helpers
from fastasync_cli.generators.env_example import edit_compose, edit_env_example
from fastasync_cli.generators.job_ids import job_id_path_edits
from fastasync_cli.generators.requirements import edit_pyproject

# What the generated project installs; kept in step with this repository's dev extra.
REQUIREMENT = "celery[redis]>=5.7.0,<6"
# Its tests talk to Redis directly (tests/test_worker_redis.py).
DEV_REQUIREMENT = "redis>=8.1.0,<9"
PYTEST_PLUGIN = "celery.contrib.pytest"
README_MARKER = "<!-- fastasync: celery -->"

GET_JOB_LINE = "job = await jobs.get(job_id)"
GET_JOB_CELERY_LINE = "job = await jobs.get(job_id) or await celery_jobs.get(job_id)"
LIFESPAN_LINE = 'state["celery_jobs"] = await stack.enter_async_context(CeleryJobs(settings))'
DOCUMENT_ERRORS_LINE = "document_celery_errors(app)"


@dataclass(frozen=True)
class CeleryOptions:
    force: bool = False


def plan_celery(options: CeleryOptions, manifest: Manifest) -> ComponentPlan:
    """Plan the Celery modules, their tests, and the edits that wire them in."""
    builder = ComponentPlan(manifest, options.force)
    root = builder.root

    # First: the new modules are formatted with the ruff settings in pyproject.toml.
    # The pytest plugin goes where pytest reads its settings (pytest.ini, say).
    pytest = pytest_config(root)
    # The requirements go where the project keeps them (a requirements file, when
    # pyproject.toml declares them dynamic).
    plugin = pytest.rel == PYPROJECT
    edit_pyproject(
        builder,
        [(REQUIREMENT, None), (DEV_REQUIREMENT, "dev")],
        more=(lambda text: _edit_plugin(text, pytest)) if plugin else None,
        more_manual=_plugin_line(pytest) if plugin else "",
    )
    if not plugin:
        builder.edit_file(pytest.rel, lambda text: _edit_plugin(text, pytest), _plugin_line(pytest))
    for target, template in [
        ("app/jobs/celery_app.py", "celery_app.py.jinja"),
        ("app/jobs/celery_jobs.py", "celery_jobs.py.jinja"),
        ("app/worker.py", "worker.py.jinja"),
        ("app/api/routes/celery_jobs.py", "routes.py.jinja"),
        ("app/api/celery_errors.py", "celery_errors.py.jinja"),
        ("tests/jobs/celery_sample_tasks.py", "sample_tasks.py.jinja"),
        ("tests/jobs/test_celery_app.py", "test_celery_app.py.jinja"),
        ("tests/jobs/test_celery_jobs.py", "test_celery_jobs.py.jinja"),
        ("tests/jobs/test_celery_input.py", "test_celery_input.py.jinja"),
        ("tests/test_worker_redis.py", "test_worker_redis.py.jinja"),
    ]:
        builder.create(
            target,
            builder.render("celery", template),
            partial(previous, builder, target),
        )

    _edit_settings(builder)
    edit_env_example(builder, ENV_COMMENT, ENV_ENTRIES, SETTING_NAMES, "the Celery settings")

    registry = (
        "\n\n# Tasks run by a Celery worker (`celery -A app.worker worker`), started with\n"
        "# the same POST /api/jobs/{name}; `fastasync add task NAME --backend celery`\n"
        "# writes one.\n"
        "CELERY_TASKS: list[CeleryTaskSpec] = []\n"
    )
    builder.edit_python(
        "app/tasks/__init__.py",
        [
            import_edit("app.jobs.celery_app", "CeleryTaskSpec"),
            PythonEdit(
                lambda m: edits.ensure_definitions(m, registry), registry.strip("\n") + "\n"
            ),
        ],
    )

    dependency = builder.snippet("app/api/deps.py", render_piece("celery", "deps.py.jinja", {}))
    builder.edit_python(
        "app/api/deps.py",
        [
            import_edit("collections.abc", "AsyncIterator"),
            import_edit("fastapi", "Depends"),
            import_edit("fastapi", "HTTPException"),
            import_edit("fastapi", "Request"),
            import_edit("fastapi", "status"),
            import_edit("app.jobs.celery_jobs", "CeleryJobs"),
            import_edit("app.jobs.celery_jobs", "CeleryInputTooLargeError"),
            import_edit("app.jobs.celery_jobs", "CeleryUnavailableError"),
            # Celery from an earlier fastasync: its 413 (CELERY_INPUT_MAX_BYTES).
            dependency_edit(builder, dependency),
            PythonEdit(lambda m: edits.ensure_definitions(m, dependency), dependency.strip()),
        ],
    )
    builder.edit_python(
        "app/api/routes/jobs.py",
        [
            # Projects made before GET /api/jobs/{id} took job ids only: with Celery,
            # it would ask Redis about a task's path.
            *job_id_path_edits(builder),
            import_edit("app.api.deps", "CeleryJobsDep"),
            PythonEdit(
                lambda m: edits.ensure_parameter(m, "get_job", "celery_jobs: CeleryJobsDep"),
                "celery_jobs: CeleryJobsDep,  # a parameter of get_job",
            ),
            PythonEdit(
                lambda m: edits.ensure_statement_replaced(
                    m, "get_job", GET_JOB_LINE, GET_JOB_CELERY_LINE
                ),
                f"{GET_JOB_CELERY_LINE}  # in get_job, instead of `{GET_JOB_LINE}`",
            ),
        ],
    )
    builder.edit_python(
        "app/api/main.py",
        [
            import_edit("app.api.routes", "celery_jobs"),
            PythonEdit(
                lambda m: edits.ensure_statement_after_last(
                    m,
                    "api_router.include_router(celery_jobs.router)",
                    edits.is_call_to("api_router.include_router"),
                    "an `api_router.include_router(...)` line to add the router after",
                ),
                "api_router.include_router(celery_jobs.router)",
            ),
        ],
    )
    _edit_main(builder)
    # app/api/celery_errors.py merges Redis's 503 into each route's 503 with
    # `add_reason`, which projects made before it lack.
    builder.edit_python(RESPONSES_MODULE, response_helpers())
    _edit_test_fixtures(builder)

    # A file `new` made that the user deleted stays deleted (a `skip` line says so).
    if (root / "compose.yaml").is_file() or manifest.project.get("docker"):
        edit_compose(builder, COMPOSE, SETTING_NAMES, "the redis and worker services")
    env = builder.env_names
    if (root / CI_WORKFLOW).is_file() or manifest.project.get("ci") == "github":
        # tests/test_worker_redis.py reads the Redis URL from the app's variable.
        ci_redis = env.rename(CI_REDIS, ["redis_url"])
        builder.edit_optional(
            CI_WORKFLOW,
            lambda text: config_edits.ensure_yaml_entries(text, CI_WORKFLOW, ci_redis),
            "the Redis service of the test job",
            ci_redis,
        )
    builder.edit_optional(
        "README.md",
        lambda text: _readme_section(text, lambda doc: env.rename(doc, SETTING_NAMES)),
        "the Celery section",
    )
    builder.plan.add(
        plan_update(
            root,
            MANIFEST_NAME,
            with_project_option(manifest, "celery", True),
            source=manifest.file,
        )
    )
    return builder


def _edit_main(builder: ComponentPlan) -> None:
    """Open `CeleryJobs` in the lifespan; document Redis's 503 once the routers are in."""
    builder.edit_python(
        "app/main.py",
        [
            import_edit("app.api.celery_errors", "document_celery_errors"),
            import_edit("app.jobs.celery_jobs", "CeleryJobs"),
            PythonEdit(
                lambda m: edits.ensure_statement_before_yield(m, "lifespan", LIFESPAN_LINE),
                f"{LIFESPAN_LINE}  # in the lifespan, before `yield state`",
            ),
            PythonEdit(
                lambda m: swap_edits.ensure_statement_after(
                    m,
                    "create_app",
                    # `app.include_router(...)`: projects made before include_routers.
                    edits.is_call_to("include_routers", "app.include_router"),
                    "`include_routers(app)` inside `create_app`",
                    DOCUMENT_ERRORS_LINE,
                ),
                f"{DOCUMENT_ERRORS_LINE}  # in create_app, after include_routers(app)",
            ),
        ],
    )


def _edit_plugin(text: str, pytest: PytestConfig) -> str:
    """`-p celery.contrib.pytest` in the `addopts` of the file pytest reads."""
    if pytest.section is not None:
        return ensure_ini_plugin(text, pytest.rel, pytest.section, PYTEST_PLUGIN)
    return ensure_toml_plugin(text, pytest.rel, PYTEST_PLUGIN, pytest.table or "pytest")


def _plugin_line(pytest: PytestConfig) -> str:
    """The plugin's line to add by hand, where pytest reads it."""
    if pytest.section is not None:
        return f"addopts = ... -p {PYTEST_PLUGIN}  # in [{pytest.section}]"
    return f'addopts = [..., "-p", "{PYTEST_PLUGIN}"]  # in [{pytest.table}]'


def _edit_settings(builder: ComponentPlan) -> None:
    # Their comments name variables (REDIS_URL) as the settings read them.
    env = builder.env_names
    fields = [edits.Field(f.name, env.rename(f.code, SETTING_NAMES)) for f in SETTINGS_FIELDS]
    edit_settings_fields(builder, fields, SETTINGS_COMMENT, line_length=builder.line_length)


def _edit_test_fixtures(builder: ComponentPlan) -> None:
    fixtures = builder.snippet("tests/conftest.py", render_piece("celery", "conftest.py.jinja", {}))
    keywords = ", ".join(f"{key}={value}" for key, value in TEST_SETTINGS)
    builder.edit_python(
        "tests/conftest.py",
        [
            import_edit("collections.abc", "Iterator"),
            import_edit("typing", "Any"),
            import_edit("celery", "Celery"),
            import_edit("celery.contrib.testing.worker", "start_worker"),
            import_edit("celery.worker", "WorkController"),
            import_edit("app.jobs.celery_app", "celery_config_from"),
            import_edit("app.jobs.celery_app", "register_task"),
            import_edit("app.tasks", "CELERY_TASKS"),
            PythonEdit(
                lambda m: edits.ensure_call_keywords(m, "settings", "Settings", TEST_SETTINGS),
                f"Settings(..., {keywords})  # in the settings fixture",
            ),
            PythonEdit(lambda m: edits.ensure_definitions(m, fixtures), fixtures.strip()),
        ],
    )


def _readme_section(text: str, named: Callable[[str], str]) -> str:
    """README.md with the Celery section, before `## Next steps` when it has one;
    `named` names its variables as the settings read them."""
    if README_MARKER in text:
        # Celery from an earlier fastasync: the lines on what it lacked.
        return readme_input_limit(text, named)
    body = named(render_piece("celery", "README.md.jinja", {}).strip())
    section = f"{README_MARKER}\n{body}\n"
    anchor = "\n## Next steps\n"
    if anchor in text:
        head, tail = text.split(anchor, 1)
        return f"{head.rstrip()}\n\n{section}{anchor}{tail}"
    prefix = f"{text.rstrip()}\n\n" if text.strip() else ""
    return f"{prefix}{section}"

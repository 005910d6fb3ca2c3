"""`fastasync add` on projects whose `Settings` reads its variables with a prefix
(`env_prefix`, its own or a base class's): every name it writes carries it."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ruff.__main__ import find_ruff_bin

from tests.cli.helpers import add


def _with_settings_config(project: Path, config: str) -> None:
    settings = project / "app/core/config.py"
    text = settings.read_text()
    old = 'env_file=".env", env_file_encoding="utf-8", extra="ignore"'
    assert old in text
    settings.write_text(text.replace(old, f"{old}, {config}"))


def test_env_prefix_names_the_variables_add_documents(project: Path) -> None:
    """With `env_prefix="APP_"`, `.env.example`, compose.yaml and the README named
    REDIS_URL, GITHUB_BASE_URL..., which the app never reads (it reads APP_REDIS_URL)."""
    _with_settings_config(project, 'env_prefix="APP_"')
    client = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert client.exit_code == 0, client.output
    celery = add(project, "celery")
    assert celery.exit_code == 0, celery.output
    env = (project / ".env.example").read_text()
    assert "\nAPP_GITHUB_BASE_URL=https://api.github.com\n" in env
    assert "\n# APP_CELERY_TIME_LIMIT=330\n" in env
    assert "Must be longer than APP_CELERY_TIME_LIMIT." in env
    assert "\nGITHUB_BASE_URL" not in env and "# REDIS_URL" not in env
    compose = (project / "compose.yaml").read_text()
    assert compose.count("APP_REDIS_URL: redis://redis:6379/0") == 2  # app and worker
    assert " REDIS_URL:" not in compose
    readme = (project / "README.md").read_text()
    assert "| `APP_REDIS_URL`" in readme and "`APP_CELERY_VISIBILITY_TIMEOUT`" in readme
    assert "| `REDIS_URL`" not in readme
    again = add(project, "celery")
    assert "Nothing to do: the project already has all of this." in again.stdout


def test_env_prefix_names_the_database_variables(project: Path) -> None:
    _with_settings_config(project, 'env_prefix="svc_", case_sensitive=True')
    result = add(project, "db", "--kind", "postgres")
    assert result.exit_code == 0, result.output
    env = (project / ".env.example").read_text()
    assert "svc_database_url=" in env and "DATABASE_URL=" not in env
    compose = (project / "compose.yaml").read_text()
    assert compose.count("svc_database_url: postgresql+asyncpg://") == 2  # app, migrate
    assert "POSTGRES_PASSWORD: ${POSTGRES_PASSWORD" in compose  # PostgreSQL's own
    readme = (project / "README.md").read_text()
    assert "`svc_database_url`" in readme and "`svc_threadpool_size` only matters" in readme


def test_a_computed_env_prefix_leaves_the_variables_to_the_user(project: Path) -> None:
    settings = project / "app/core/config.py"
    _with_settings_config(project, "env_prefix=PREFIX")
    settings.write_text(
        settings.read_text().replace(
            "\n\nclass Settings", '\n\nPREFIX = "APP_"\n\n\nclass Settings', 1
        )
    )
    env_before = (project / ".env.example").read_bytes()
    compose_before = (project / "compose.yaml").read_bytes()
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "     skip  .env.example  (left to you: see the lines below)" in lines
    assert "     skip  compose.yaml  (left to you: see the lines below)" in lines
    warning = (
        "warning: `env_prefix` of Settings in app/core/config.py is not a literal string, "
        "so the names of its environment variables are unknown."
    )
    errors = result.stderr.splitlines()
    assert errors.count(warning) == 2
    assert (
        "hint: Add these lines to .env.example by hand, with the prefix in front of each "
        "variable's name:"
    ) in errors
    assert "    # CELERY_TIME_LIMIT=330" in errors
    assert (
        "hint: Add these lines to compose.yaml by hand, with the prefix in front of the "
        "names of the app's variables (CELERY_TIME_LIMIT, REDIS_URL):"
    ) in errors
    assert "          REDIS_URL: redis://redis:6379/0" in errors
    assert (project / ".env.example").read_bytes() == env_before
    assert (project / "compose.yaml").read_bytes() == compose_before
    assert (project / "app/worker.py").is_file()


def _with_base_settings(project: Path, base_module: str, config: str) -> None:
    """Settings inherits from `Base` of `base_module` (app/core/base.py, say)."""
    (project / base_module).write_text(
        "from pydantic_settings import BaseSettings, SettingsConfigDict\n\n\n"
        f"class Base(BaseSettings):\n    model_config = SettingsConfigDict({config})\n"
    )
    dotted = base_module.removesuffix(".py").replace("/", ".")
    settings = project / "app/core/config.py"
    text = settings.read_text()
    assert "\n\nclass Settings(BaseSettings):" in text
    settings.write_text(
        f"from {dotted} import Base\n"
        + text.replace("\n\nclass Settings(BaseSettings):", "\n\nclass Settings(Base):")
    )


def test_a_prefix_inherited_from_a_base_in_another_module_names_the_variables(
    project: Path,
) -> None:
    """A prefix set on a base class of the project's own (in app/core/base.py) was not
    seen: the variables went to .env.example without it."""
    _with_base_settings(project, "app/core/base.py", 'env_prefix="APP_"')
    result = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    env = (project / ".env.example").read_text()
    assert "\nAPP_GITHUB_BASE_URL=https://api.github.com\n" in env
    assert "\nGITHUB_BASE_URL" not in env


def test_a_base_from_outside_the_project_leaves_the_variables_to_the_user(
    project: Path,
) -> None:
    settings = project / "app/core/config.py"
    text = settings.read_text()
    settings.write_text(
        "from shared_settings import Base\n"
        + text.replace("\n\nclass Settings(BaseSettings):", "\n\nclass Settings(Base):")
    )
    env_before = (project / ".env.example").read_bytes()
    result = add(project, "client", "github", "--base-url", "https://api.github.com")
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[:2] == [
        "warning: Settings in app/core/config.py inherits from `Base`, a class from outside "
        "the project, so the names of its environment variables (`env_prefix`) are unknown.",
        "hint: Add these lines to .env.example by hand, with the prefix in front of each "
        "variable's name:",
    ]
    assert (project / ".env.example").read_bytes() == env_before


# A settings field's variable written without the prefix: REDIS_URL, DATABASE_URL,
# CELERY_*, GITHUB_*, JOB_TIMEOUT_S (not TEST_DATABASE_URL, read by the tests alone,
# nor the Python name CELERY_TASKS).
BARE_NAME = re.compile(
    r"(?<![A-Za-z0-9_])(DATABASE_[A-Z_]+|REDIS_URL|CELERY_(?!TASKS)[A-Z_]+"
    r"|GITHUB_[A-Z_]+|JOB_TIMEOUT_S)(?![A-Za-z0-9_])"
)
ADDS = [
    ["db", "--kind", "postgres"],
    ["celery"],
    ["client", "github", "--base-url", "https://api.github.com"],
    ["task", "report"],
    ["task", "crunch", "--kind", "cpu"],
    ["task", "mail", "--backend", "celery"],
]


def _python_files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in sorted(root.rglob("*.py"))}


def test_the_python_add_writes_names_the_variables_with_the_prefix(project: Path) -> None:
    """The modules and tests `add` wrote said "Check DATABASE_URL", `REDIS_URL`, ... with
    `env_prefix="APP_"`: a user following them set variables the app never reads."""
    _with_settings_config(project, 'env_prefix="APP_"')
    before = _python_files(project)
    for args in ADDS:
        result = add(project, *args)
        assert result.exit_code == 0, (args, result.output)
    after = _python_files(project)
    written = {rel: text for rel, text in after.items() if before.get(rel) != text}
    bare = {rel: BARE_NAME.findall(text) for rel, text in written.items()}
    assert {rel: names for rel, names in bare.items() if names} == {}
    check = '"APP_DATABASE_URL"\n                " and that the database is running."'
    assert check in written["app/db/database.py"]
    assert '"APP_DATABASE_URL"\n        " and that the' in written["tests/db/test_database.py"]
    assert "settings (APP_DATABASE_URL, from" in written["migrations/env.py"]
    assert 'REDIS_URL_VARIABLE = "APP_REDIS_URL"' in written["tests/test_worker_redis.py"]
    assert '"APP_CELERY_VISIBILITY_TIMEOUT"\n' in written["app/jobs/celery_app.py"]
    assert 'match="APP_CELERY_VISIBILITY_TIMEOUT"' in written["tests/jobs/test_celery_app.py"]
    assert "(`APP_REDIS_URL` and the `APP_CELERY_*` variables" in written["app/worker.py"]
    assert "(APP_GITHUB_BASE_URL and friends" in written["app/clients/github.py"]
    assert "None: APP_JOB_TIMEOUT_S." in written["app/tasks/report.py"]
    assert "# Broker and result backend when not APP_REDIS_URL" in written["app/core/config.py"]
    ci = (project / ".github/workflows/ci.yml").read_text()
    assert "APP_REDIS_URL: redis://localhost:6379/0" in ci  # what test_worker_redis reads
    assert "/data/" not in (project / ".gitignore").read_text()  # postgres: no data folder
    for args in ADDS[1:]:  # a second `add db` is refused: the project has one
        again = add(project, *args)
        assert again.exit_code == 0 and "Nothing to do" in again.stdout, (args, again.output)


def test_without_a_prefix_the_python_names_stay_as_they_were(project: Path) -> None:
    result = add(project, "db", "--kind", "sqlite")
    assert result.exit_code == 0, result.output
    assert '"DATABASE_URL"\n                " and that the database is running."' in (
        (project / "app/db/database.py").read_text()
    )
    assert "# The local SQLite database (DATABASE_URL)\n/data/\n" in (
        (project / ".gitignore").read_text()
    )


def test_case_sensitive_names_keep_the_fields_case_in_python(project: Path) -> None:
    _with_settings_config(project, 'env_prefix="svc_", case_sensitive=True')
    result = add(project, "db", "--kind", "sqlite")
    assert result.exit_code == 0, result.output
    assert '"svc_database_url"\n                " and that' in (
        (project / "app/db/database.py").read_text()
    )
    assert "# The local SQLite database (svc_database_url)\n" in (
        (project / ".gitignore").read_text()
    )


def test_a_long_prefix_keeps_every_line_add_writes_within_the_line_length(
    project: Path,
) -> None:
    """A prefix makes every name in comments, docstrings and messages longer: prose is
    wrapped, and messages keep the names where the line has room."""
    prefix = "A_RATHER_LONG_SERVICE_PREFIX_"
    settings = project / "app/core/config.py"
    settings.write_text(
        settings.read_text().replace(
            'extra="ignore"\n', f'extra="ignore",\n        env_prefix="{prefix}",\n', 1
        )
    )
    assert ruff(project, "format", "--quiet", "app/core/config.py").returncode == 0
    for args in ADDS:
        result = add(project, *args)
        assert result.exit_code == 0, (args, result.output)
    assert f'"{prefix}DATABASE_URL"\n' in (project / "app/db/database.py").read_text()
    checked = ruff(project, "check", "--quiet", ".")
    assert checked.returncode == 0, checked.stdout[-3000:]
    formatted = ruff(project, "format", "--check", ".")
    assert formatted.returncode == 0, formatted.stdout


def ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_ruff_bin(), *args], cwd=root, capture_output=True, text=True, check=False
    )


def test_the_settings_tests_new_writes_pass_with_a_prefix_set_by_hand(project: Path) -> None:
    """tests/core/test_config.py set THREADPOOL_SIZE, CPU_WORKERS...: with a prefix
    the app never read them, and 23 of its tests failed."""
    import sys

    _with_settings_config(project, 'env_prefix="MYAPP_"')
    env_example = project / ".env.example"
    env_example.write_text(
        re.sub(r"^(#?\s*)([A-Z][A-Z0-9_]*)=", r"\1MYAPP_\2=", env_example.read_text(), flags=re.M)
        .replace("MYAPP_FORWARDED_ALLOW_IPS", "FORWARDED_ALLOW_IPS")
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/core"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:]
    assert " passed" in result.stdout.splitlines()[-1]


def test_a_computed_env_prefix_names_the_files_that_name_variables_bare(
    project: Path,
) -> None:
    """With `env_prefix=f"{SERVICE}_"`, .env.example and compose.yaml were left to the
    user, but the README section and the new code's comments named REDIS_URL,
    CELERY_TIME_LIMIT... bare, and nothing said so."""
    settings = project / "app/core/config.py"
    _with_settings_config(project, 'env_prefix=f"{SERVICE}_"')
    settings.write_text(
        settings.read_text().replace(
            "\n\nclass Settings", '\n\nSERVICE = "APP"\n\n\nclass Settings', 1
        )
    )
    result = add(project, "celery")
    assert result.exit_code == 0, result.output
    errors = result.stderr.splitlines()
    start = errors.index(
        "warning: `env_prefix` of Settings in app/core/config.py is not a literal string, "
        "so the names of its environment variables are unknown; the lines added to these "
        "files name them without the prefix."
    )
    assert errors[start + 1] == (
        "hint: Put the prefix in front of these names there by hand, or give `env_prefix` "
        "a literal string before the next `fastasync add`:"
    )
    where = dict(line.strip().split(": ", 1) for line in errors[start + 2 :])
    assert "REDIS_URL" in where["README.md"].split(", ")
    assert "CELERY_TIME_LIMIT" in where["app/jobs/celery_app.py"].split(", ")
    assert "| `REDIS_URL`" in (project / "README.md").read_text()


def test_a_command_naming_no_variable_warns_of_nothing(project: Path) -> None:
    _with_settings_config(project, "env_prefix=PREFIX")
    settings = project / "app/core/config.py"
    settings.write_text(
        settings.read_text().replace(
            "\n\nclass Settings", '\n\nPREFIX = "APP_"\n\n\nclass Settings', 1
        )
    )
    result = add(project, "endpoint", "items", "name:str")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""

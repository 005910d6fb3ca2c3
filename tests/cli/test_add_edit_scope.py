"""`fastasync add` on a lifespan the user changed: the same line in another function,
the lifespan split into helpers, a project saved with CRLF line endings."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import add, bare_lf, save_with_crlf, snapshot

CLIENT_LINE = (
    'state["weather"] = await stack.enter_async_context(WeatherClient.from_settings(settings))'
)
DATABASE_LINE = 'state["database"] = await stack.enter_async_context(Database(settings))'
JOBS_LINE = 'state["jobs"] = await stack.enter_async_context(JobRunner(settings))'
OPEN = '            state: dict[str, Any] = {"settings": settings}\n'


def _lifespan_body(main: Path) -> str:
    text = main.read_text()
    start = text.index("    async def lifespan(")
    return text[start : text.index("\n\n", start)]


def _with_function(main: Path, function: str) -> None:
    """`function` appended to app/main.py, before `app = create_app()`."""
    text = main.read_text()
    main.write_text(text.replace("\n\napp = create_app()", f"\n\n{function}\n\napp = create_app()"))


def test_a_client_opened_in_another_function_is_still_opened_in_the_lifespan(
    project: Path,
) -> None:
    """A function of app/main.py (a CLI's own set-up, say) opening the same client
    counted as "already done": the app started without `request.state.weather`."""
    main = project / "app/main.py"
    _with_function(
        main,
        "async def open_for_cli(stack: AsyncExitStack, settings: Settings) -> dict[str, Any]:\n"
        "    state: dict[str, Any] = {}\n"
        f"    {CLIENT_LINE}  # noqa: E501\n"
        "    return state\n",
    )
    args = ("client", "weather", "--base-url", "https://api.example.com")
    result = add(project, *args)
    assert result.exit_code == 0, result.output
    assert "WeatherClient.from_settings(settings)" in _lifespan_body(main)
    before = main.read_bytes()
    again = add(project, *args)
    assert again.exit_code == 0, again.output
    assert "identical  app/main.py" in again.stdout
    assert main.read_bytes() == before


def test_add_db_opens_the_database_in_the_lifespan_despite_another_function(
    project: Path,
) -> None:
    """`add db`'s lines before `state["jobs"] = ...` were taken as done when another
    function of the file had them: the job store used a database never opened."""
    main = project / "app/main.py"
    _with_function(
        main,
        "async def open_for_cli(stack: AsyncExitStack, settings: Settings) -> dict[str, Any]:\n"
        "    state: dict[str, Any] = {}\n"
        f"    {DATABASE_LINE}\n"
        "    return state\n",
    )
    result = add(project, "db", "--kind", "sqlite")
    assert result.exit_code == 0, result.output
    lifespan = _lifespan_body(main)
    assert lifespan.index("Database(settings)") < lifespan.index('state["jobs"] =')
    assert "SqlJobStore(" in lifespan


HELPER = (
    "async def open_resources(stack: AsyncExitStack, settings: Settings) -> dict[str, Any]:\n"
    '    """What the lifespan opens."""\n'
    f"{OPEN[8:]}"
    f"    {JOBS_LINE}\n"
    "    return state\n"
)


def _split_lifespan(main: Path) -> None:
    """The lifespan's resources opened by a helper it calls."""
    text = main.read_text()
    text = text.replace(f"{OPEN}            {JOBS_LINE}\n", "")
    text = text.replace(
        "            yield state\n",
        "            state = await open_resources(stack, settings)\n            yield state\n",
    )
    main.write_text(text)
    _with_function(main, HELPER)


def _endings(data: bytes) -> set[str]:
    """Which line endings `data` has: CRLF, LF alone, or both."""
    return {name for name, there in [("CRLF", b"\r\n" in data), ("LF", bare_lf(data) > 0)] if there}


def _old_lines_kept(old: bytes, new: bytes) -> bool:
    """Every line of `old`, with its ending, is in `new` in the same order (an import
    line aside: a name is merged into it)."""
    lines = iter(new.splitlines(keepends=True))
    return all(
        any(line == other for other in lines)
        for line in old.splitlines(keepends=True)
        if not line.startswith(b"from ")
    )


def test_crlf_project_with_a_split_lifespan_keeps_its_bytes(project: Path) -> None:
    """`add endpoint` then `add db` on a CRLF project whose lifespan calls a helper:
    each edit adds CRLF lines and keeps every other byte; `add db`, whose anchor moved
    into the helper, names the file and the lines; added there by hand, they end the
    loop."""
    main = project / "app/main.py"
    _split_lifespan(main)
    save_with_crlf(project)
    before = snapshot(project)
    result = add(project, "endpoint", "products", "name:str")
    assert result.exit_code == 0, result.output
    after = snapshot(project)
    for rel, old in before.items():
        assert _old_lines_kept(old, after[rel]), rel
        assert bare_lf(after[rel]) == bare_lf(old), rel  # CRLF stays CRLF
    assert b'            state["products_repository"] = InMemoryProductRepository()\r\n' in (
        main.read_bytes()
    )

    refused = add(project, "db", "--kind", "sqlite")
    assert refused.exit_code == 1
    lines = refused.stderr.splitlines()
    assert lines[:2] == [
        'error: app/main.py no longer has `state["jobs"] = ...` inside `lifespan`, so '
        "fastasync cannot edit it safely.",
        "hint: Nothing was written. Add these lines to app/main.py by hand, then run the "
        "command again:",
    ]
    assert f'    {DATABASE_LINE}  # in the lifespan, before `state["jobs"] = ...`' in lines
    assert snapshot(project) == after

    # The lines added by hand in the helper, where the anchor went.
    text = main.read_bytes().decode()
    helper_jobs = f"    {JOBS_LINE}\r\n"
    text = text.replace(
        helper_jobs,
        f"    {DATABASE_LINE}\r\n"
        "    job_store = await stack.enter_async_context(\r\n"
        '        SqlJobStore(state["database"], settings.job_store_max, settings.job_ttl_s)\r\n'
        "    )\r\n"
        + helper_jobs.replace("JobRunner(settings)", "JobRunner(settings, store=job_store)"),
    )
    text = (
        text.replace(
            "from app.jobs import JobRunner\r\n",
            "from app.db.database import Database\r\nfrom app.jobs import JobRunner\r\n"
            "from app.jobs.sql_store import SqlJobStore\r\n",
        )
        .replace(
            "    include_routers(app)\r\n",
            "    include_routers(app)\r\n    install_database_errors(app)\r\n",
        )
        .replace(
            "from app.api.json_body import JSONInFlight\r\n",
            "from app.api.database_errors import install_database_errors\r\n"
            "from app.api.json_body import JSONInFlight\r\n",
        )
    )
    main.write_bytes(text.encode())
    edited = snapshot(project)
    done = add(project, "db", "--kind", "sqlite")
    assert done.exit_code == 0, done.output
    # What the hint said to take out of the lifespan went; nothing else changed.
    assert main.read_bytes() == (
        edited["app/main.py"]
        .replace(b"from app.repositories.products import InMemoryProductRepository\r\n", b"")
        .replace(b'            state["products_repository"] = InMemoryProductRepository()\r\n', b"")
    )
    for rel, old in edited.items():  # `add db` replaces lines too: the endings stay
        assert _endings((project / rel).read_bytes()) == _endings(old), rel


def test_routers_included_in_a_loop_on_a_crlf_project(project: Path) -> None:
    """The routers in a loop: the hint's line, or the module added to the loop, ends
    the refusal, and the file keeps its CRLF endings."""
    routes = project / "app/api/main.py"
    routes.write_text(
        routes.read_text().replace(
            "api_router.include_router(jobs.router)\n",
            "for module in (jobs,):\n    api_router.include_router(module.router)\n",
        )
    )
    save_with_crlf(project)
    first = add(project, "endpoint", "products", "name:str")
    assert first.exit_code == 1
    assert first.stderr.splitlines()[0].startswith("error: app/api/main.py no longer has")
    assert "    api_router.include_router(products.router)" in first.stderr.splitlines()
    routes.write_bytes(
        routes.read_bytes()
        .replace(b"import health, jobs\r\n", b"import health, jobs, products\r\n")
        .replace(b"(jobs,):", b"(jobs, products):")
    )
    before = routes.read_bytes()
    second = add(project, "endpoint", "products", "name:str")
    assert second.exit_code == 0, second.output
    assert "identical  app/api/main.py" in second.stdout
    assert routes.read_bytes() == before
    assert bare_lf((project / "app/main.py").read_bytes()) == 0

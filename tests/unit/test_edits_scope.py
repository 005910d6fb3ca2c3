"""Edits that insert a statement before an anchor look for it where it runs before
the anchor only: the same line in another function of the file is not the line the
edited function needs."""

from __future__ import annotations

import textwrap

import pytest

from fastasync_cli.engine import edits
from fastasync_cli.engine.python_edits import swaps

CLIENT = 'state["github"] = await stack.enter_async_context(GithubClient.from_settings(settings))'

OTHER_FUNCTION = textwrap.dedent(
    """\
    async def preview(stack, settings):
        state = {}
        state["github"] = await stack.enter_async_context(GithubClient.from_settings(settings))
        return state


    @asynccontextmanager
    async def lifespan(app):
        async with AsyncExitStack() as stack:
            state = {}
            yield state
    """
)


def before_yield(source: str, line: str = CLIENT) -> str:
    return edits.ensure_statement_before_yield(edits.parse(source, "m"), "lifespan", line).code


def test_the_line_in_another_function_does_not_count_for_the_lifespan() -> None:
    """`preview` opened the client too: the lifespan was left without it."""
    code = before_yield(OTHER_FUNCTION)
    assert code == OTHER_FUNCTION.replace(
        "        state = {}\n        yield",
        f"        state = {{}}\n        {CLIENT}\n        yield",
    )
    assert before_yield(code) == code


def test_the_line_in_a_helper_the_lifespan_calls_counts() -> None:
    """The lifespan split into helpers: opened there, it is not opened twice."""
    source = OTHER_FUNCTION.replace(
        "        state = {}\n        yield",
        "        state = await preview(stack, settings)\n        yield",
    )
    assert before_yield(source) == source
    # Also through `async with helper() as state:` around the yield, and a helper of
    # a helper.
    nested = textwrap.dedent(
        """\
        async def open_clients(stack, settings):
            state = {}
            state["github"] = await stack.enter_async_context(GithubClient.from_settings(settings))
            return state


        @asynccontextmanager
        async def resources(settings):
            async with AsyncExitStack() as stack:
                yield await open_clients(stack, settings)


        @asynccontextmanager
        async def lifespan(app):
            async with AsyncExitStack() as stack, resources(settings) as state:
                yield state
        """
    )
    assert before_yield(nested) == nested


@pytest.mark.parametrize(
    "where",
    [
        # After the yield: on shutdown, when the app no longer serves.
        "        yield state\n        {line}\n",
        # In a branch that may not run.
        "        if settings.debug:\n            {line}\n        yield state\n",
    ],
)
def test_the_line_where_it_may_not_run_before_the_yield_does_not_count(where: str) -> None:
    head = "async def lifespan(app):\n    async with AsyncExitStack() as stack:\n"
    source = (
        head
        + "        state = {}\n"
        + textwrap.indent(textwrap.dedent(where.format(line=CLIENT)), "        ")
    )
    code = before_yield(source)
    assert code.count(CLIENT) == 2
    assert f"        {CLIENT}\n        yield state\n" in code


def test_the_line_under_other_names_in_a_helper_counts() -> None:
    """The lifespan binds `shared` and `resources`; the helper the template's names."""
    source = textwrap.dedent(
        """\
        async def open_clients(stack, state):
            state["github"] = await stack.enter_async_context(GithubClient.from_settings(settings))


        async def lifespan(app):
            async with AsyncExitStack() as resources:
                shared = {}
                await open_clients(resources, shared)
                yield shared
        """
    )
    assert before_yield(source) == source


DATABASE = 'state["database"] = await stack.enter_async_context(Database(settings))'
JOBS = 'state["jobs"] = await stack.enter_async_context(JobRunner(settings))'


def before_jobs(source: str) -> str:
    module = swaps.ensure_statement_before(
        edits.parse(source, "m"),
        "lifespan",
        swaps.starts_with('state["jobs"] ='),
        '`state["jobs"] = ...` inside `lifespan`',
        DATABASE,
    )
    return module.code


LIFESPAN = textwrap.dedent(
    f"""\
    async def lifespan(app):
        async with AsyncExitStack() as stack:
            state = {{}}
            {JOBS}
            yield state
    """
)


def test_the_line_before_the_anchor_in_another_function_does_not_count() -> None:
    """`add db`'s database line in a CLI helper of the same file: the lifespan never
    opened the database its job store used."""
    other = f"async def cli(stack, settings):\n    state = {{}}\n    {DATABASE}\n\n\n"
    code = before_jobs(other + LIFESPAN)
    assert code == other + LIFESPAN.replace(
        f"        {JOBS}", f"        {DATABASE}\n        {JOBS}"
    )
    assert before_jobs(code) == code


def test_the_line_before_the_anchor_counts_in_its_block_or_a_helper() -> None:
    done = LIFESPAN.replace(f"        {JOBS}", f"        {DATABASE}\n\n        {JOBS}")
    assert before_jobs(done) == done
    helper = f"async def open_database(stack, state):\n    {DATABASE}\n\n\n"
    called = helper + LIFESPAN.replace(
        f"        {JOBS}", f"        await open_database(stack, state)\n        {JOBS}"
    )
    assert before_jobs(called) == called
    # After the anchor, it is not there for it.
    late = LIFESPAN.replace(f"        {JOBS}", f"        {JOBS}\n        {DATABASE}")
    assert before_jobs(late).count(DATABASE) == 2


def test_a_lifespan_with_the_anchor_twice_is_left_to_the_user() -> None:
    """Inserted before the first only, the second had no database."""
    twice = LIFESPAN.replace(
        f"        {JOBS}\n",
        f"        if settings.debug:\n            {JOBS}\n        else:\n            {JOBS}\n",
    )
    with pytest.raises(edits.AnchorMissing, match=r"a single .* \(it has 2\)"):
        before_jobs(twice)


def test_a_statement_over_several_lines_added_by_hand_counts_as_done() -> None:
    """The printed `)  # in the lifespan, before ...` line did not tokenize alone, so its
    note was taken for code: following the hint never ended the refusal."""
    from fastasync_cli.generators.component import manual_lines_present

    manual = (
        "job_store = await stack.enter_async_context(\n"
        '    SqlJobStore(state["database"], settings.job_store_max)\n'
        ')  # in the lifespan, before `state["jobs"] = ...`'
    )
    by_hand = (
        "async def open_resources(stack, state):\n"
        "    job_store = await stack.enter_async_context(\n"
        '        SqlJobStore(state["database"], settings.job_store_max)\n'
        "    )\n"
    )
    assert manual_lines_present(by_hand, manual)
    assert not manual_lines_present(by_hand.replace("job_store_max", "other"), manual)

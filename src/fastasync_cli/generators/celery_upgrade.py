"""`fastasync add celery` run again on a project whose Celery an earlier fastasync
wrote: what is missing is added, what the user changed stays.

- A module `add celery` writes (`app/jobs/celery_jobs.py`, ...) that still holds
  exactly what the previous version wrote (`templates/celery/previous/`) is
  updated; one the user changed is a conflict, as before, and the refusal says how
  to get the new code.
- `get_celery_jobs` in `app/api/deps.py`, still as generated, is replaced by the one
  that answers `CeleryInputTooLargeError` with 413; changed, its lines are printed.
- The README's Celery section gets the lines about `CELERY_INPUT_MAX_BYTES`.

The settings field, its `.env.example` entry and the test settings' keyword are
added by the edits every run makes (`celery.py`).
"""

from __future__ import annotations

from collections.abc import Callable

from fastasync_cli.engine.python_edits import swaps as swap_edits
from fastasync_cli.engine.render import render_piece
from fastasync_cli.generators.component import ComponentPlan
from fastasync_cli.generators.component_edits import PythonEdit

# The generated modules whose previous version (before CELERY_INPUT_MAX_BYTES) is
# known, with the template that wrote it.
PREVIOUS = {
    "app/jobs/celery_jobs.py": "previous/celery_jobs.py.jinja",
    "app/api/routes/celery_jobs.py": "previous/routes.py.jinja",
    "app/api/celery_errors.py": "previous/celery_errors.py.jinja",
}

DEPENDENCY = "get_celery_jobs"
INPUT_TOO_LARGE_LINES = (
    "except CeleryInputTooLargeError as exc:\n"
    "    raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, str(exc)) from exc"
)


def previous(builder: ComponentPlan, target: str) -> list[str]:
    """What the previous fastasync wrote to `target`, if it is known."""
    template = PREVIOUS.get(target)
    return [builder.render("celery", template)] if template else []


def dependency_edit(builder: ComponentPlan, current: str) -> PythonEdit:
    """`get_celery_jobs` as this version writes it (`current`), where the project's
    is still the previous version's."""
    old = builder.snippet("app/api/deps.py", render_piece("celery", "previous/deps.py.jinja", {}))
    old_function = _definition(old, DEPENDENCY)
    new_function = _definition(current, DEPENDENCY)
    return PythonEdit(
        lambda m: swap_edits.ensure_definition_replaced(
            m, DEPENDENCY, old_function, new_function, missing_ok=True
        ),
        f"# in {DEPENDENCY}, before `except CeleryUnavailableError as exc:`\n"
        f"{INPUT_TOO_LARGE_LINES}",
    )


def _definition(code: str, name: str) -> str:
    """The top-level `def name` of `code`, as text."""
    start = code.index(f"async def {name}(")
    end = code.find("\n\n\n", start)
    return code[start:] if end < 0 else code[start : end + 1]


# The Celery section of the README before CELERY_INPUT_MAX_BYTES: these lines ended
# the CELERY_QUEUE_MAX bullet.
OLD_INPUT_LINES = (
    "  Each waiting job holds its input in Redis, so inputs take at most\n"
    "  `CELERY_QUEUE_MAX` \u00d7 `MAX_BODY_BYTES` of its memory (10 GiB with the defaults):\n"
    "  bound each input field (`max_length`), and lower either setting to fit your Redis.\n"
)
INPUT_BULLET_START = "- Each waiting job holds its input in Redis"
INPUT_ROW_START = "| `CELERY_INPUT_MAX_BYTES`"
RESULT_ROW_START = "| `CELERY_RESULT_MAX_BYTES`"
NEXT_BULLET = "- A job's id is known for"


def readme_input_limit(text: str, named: Callable[[str], str]) -> str:
    """The README's Celery section with the lines on `CELERY_INPUT_MAX_BYTES` (the
    bullet and the table's row), where the section is there and lacks them; `named`
    names the variables as the settings read them."""
    if named("CELERY_INPUT_MAX_BYTES") in text:
        return text
    section = named(render_piece("celery", "README.md.jinja", {}))
    lines = section.splitlines(keepends=True)
    bullet_start = next(i for i, line in enumerate(lines) if line.startswith(INPUT_BULLET_START))
    bullet_end = next(i for i in range(bullet_start + 1, len(lines)) if lines[i].startswith("- "))
    bullet = "".join(lines[bullet_start:bullet_end])
    row = next(line for line in lines if line.startswith(named(INPUT_ROW_START)))
    old = named(OLD_INPUT_LINES)
    if old in text:
        text = text.replace(old, bullet, 1)
    elif f"\n{NEXT_BULLET}" in text:
        text = text.replace(f"\n{NEXT_BULLET}", f"\n{bullet}{NEXT_BULLET}", 1)
    result_row = named(RESULT_ROW_START)
    out = text.splitlines(keepends=True)
    for index, line in enumerate(out):
        if line.startswith(result_row):
            out.insert(index + 1, row if line.endswith("\n") else f"\n{row.rstrip()}")
            break
    return "".join(out)

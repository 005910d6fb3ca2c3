"""What every `add` command shares: new files, edits of the user's files, the manifest.

The edits themselves (`PythonEdit`, `import_edit`, `edit_settings_fields`) are in
`component_edits`, the lines printed for adding by hand in `component_manual`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import Any

from fastasync_cli.engine import edits
from fastasync_cli.engine.fileio import TextFile, read_text_file
from fastasync_cli.engine.links import dangling_link
from fastasync_cli.engine.names import Name
from fastasync_cli.engine.plan import (
    Action,
    ByHand,
    FileChange,
    Plan,
    plan_file,
    plan_update,
)
from fastasync_cli.engine.project import MANIFEST_NAME, Manifest, with_component
from fastasync_cli.engine.python_style import format_edited, line_length
from fastasync_cli.engine.render import format_python, render_piece
from fastasync_cli.engine.settings_env import (
    SETTINGS_MODULE,
    EnvNames,
    env_names,
    variable_in,
)
from fastasync_cli.errors import EditError, FastasyncError, TargetError
from fastasync_cli.generators.component_edits import PythonEdit, import_edit
from fastasync_cli.generators.component_manual import (
    importable_as,
    indent,
    is_import,
    manual_lines_present,
    still_to_add,
)
from fastasync_cli.generators.component_names import check_component_name


@dataclass
class ComponentPlan:
    """Builds the plan of one `add` command against a project."""

    manifest: Manifest
    force: bool
    plan: Plan = field(init=False)

    def __post_init__(self) -> None:
        self.plan = Plan(root=self.manifest.root)

    @property
    def root(self) -> Path:
        return self.manifest.root

    def check_name(self, name: Name, kind: str) -> None:
        """Refuse names the project owns, or that another kind of component has."""
        check_component_name(self.manifest, name, kind)

    def create(
        self, rel: str, content: str, previous: Callable[[], Sequence[str]] | None = None
    ) -> None:
        """A file this command owns: create, identical, or conflict unless --force.

        `previous` gives the contents earlier fastasync versions wrote there (asked
        only when the file differs): a file still holding one of them, which the
        user never changed, is updated.
        """
        if rel.endswith(".py"):
            content = format_python(self.root, rel, content)
        change = plan_file(self.root, rel, content, force=self.force)
        if (
            previous is not None
            and change.action in (Action.CONFLICT, Action.OVERWRITE)
            and change.source is not None
        ):
            earlier = previous()
            if rel.endswith(".py"):
                earlier = [format_python(self.root, rel, old) for old in earlier]
            if change.source.text in earlier:
                change = plan_update(self.root, rel, content, source=change.source)
        self.plan.add(change)

    def render(self, kind: str, template: str, context: dict[str, Any] | None = None) -> str:
        """Render one file of `templates/<kind>/`; its `env("redis_url")` is the variable
        a settings field is read from (`APP_REDIS_URL` with `env_prefix="APP_"`)."""
        return render_piece(kind, template, {"env": self.env_names.name, **(context or {})})

    def snippet(self, rel: str, code: str) -> str:
        """Code to add to the user's `rel`, laid out by the project's ruff settings."""
        return format_python(self.root, rel, code)

    def edit_python(self, rel: str, changes: list[PythonEdit]) -> None:
        """Edit a Python file the user owns through its syntax tree."""

        def update(source: str) -> str:
            original = module = edits.parse(source, rel)
            for change in changes:
                try:
                    module = change.apply(module)
                except edits.AnchorMissing as exc:
                    # The user already added the printed lines by hand, where the
                    # anchor was gone: done, so following the hint ends the loop.
                    if not manual_lines_present(module.code, change.manual):
                        exc.manual = still_to_add(original, changes)
                        raise
            return format_edited(self.root, rel, source, module.code)

        self.edit_file(rel, update, "\n".join(change.manual for change in changes if change.manual))

    def edit_file(self, rel: str, update: Callable[[str], str], manual: str) -> None:
        """Edit a file the user owns with `update`, which raises `edits.SourceError`
        when the file does not parse and `edits.AnchorMissing` when the place to edit
        is gone; then nothing is written and the user gets `manual`, the lines to add
        by hand."""
        source = read_text_file(self.root, rel)
        if source is None and self._done_where_it_moved(rel, update, manual):
            return
        if source is None:
            raise EditError(
                f"{rel} is missing, so fastasync cannot register the new code in it.",
                f"Nothing was written. Restore {rel} (e.g. from git), or add these lines "
                f"to where it moved{importable_as(rel)}, then run the command again:",
                details=indent(manual),
            )
        self._update(rel, source, update, manual)

    def _update(
        self, rel: str, source: TextFile, update: Callable[[str], str], manual: str
    ) -> None:
        """Plan `update` of `source` (the file at `rel`), or say what to add by hand."""
        try:
            new = update(source.text)
        except edits.SourceError as exc:
            raise EditError(
                f"{exc}.",
                f"Nothing was written. Fix the file, or add these lines to {rel} by "
                "hand, then run the command again:",
                details=indent(manual),
            ) from exc
        except edits.AnchorMissing as exc:
            raise EditError(
                f"{rel} no longer has {exc}, so fastasync cannot edit it safely.",
                f"Nothing was written. Add these lines to {rel} by hand, then run the "
                "command again:",
                details=indent(exc.manual if exc.manual is not None else manual),
            ) from exc
        self.plan.add(plan_update(self.root, rel, new, source=source))

    def _done_where_it_moved(self, rel: str, update: Callable[[str], str], manual: str) -> bool:
        """Whether a missing Python file's lines are all in another module of its
        package (where the user moved it and added them, as the error says to): then
        that module is planned as identical, and following the hint ends the loop."""
        top = rel.split("/")[0]
        if not rel.endswith(".py") or top == rel or not (self.root / top).is_dir():
            return False
        wanted = "\n".join(line for line in manual.splitlines() if not is_import(line))
        for path in sorted((self.root / top).rglob("*.py")):
            other = path.relative_to(self.root).as_posix()
            try:
                found = read_text_file(self.root, other)
            except TargetError:
                continue
            if found is None or not manual_lines_present(found.text, wanted):
                continue
            try:
                done = update(found.text) == found.text
            except (edits.SourceError, edits.AnchorMissing):
                done = False
            if done:
                if all(str(change.path) != other for change in self.plan.changes):
                    self.plan.add(plan_update(self.root, other, found.text, source=found))
                return True
        return False

    def add_dependency(
        self,
        module: str,
        type_name: str,
        code: str,
        extra_imports: list[tuple[str, str]] | None = None,
    ) -> None:
        """Append a dependency function and its `Annotated` alias to app/api/deps.py."""
        dependency = self.snippet("app/api/deps.py", code)
        self.edit_python(
            "app/api/deps.py",
            [
                import_edit("typing", "Annotated"),
                import_edit("fastapi", "Depends"),
                import_edit("fastapi", "Request"),
                import_edit(module, type_name),
                *(import_edit(m, n) for m, n in extra_imports or []),
                PythonEdit(lambda m: edits.ensure_definitions(m, dependency), dependency.strip()),
            ],
        )

    def add_to_lifespan(self, module: str, name: str, line: str) -> None:
        """Import `name` in app/main.py and open it in the lifespan, before `yield state`.

        `line` says `state` and `stack`; the edit uses the names the lifespan binds.
        """
        self.edit_python(
            "app/main.py",
            [
                import_edit(module, name),
                PythonEdit(
                    lambda m: edits.ensure_statement_before_yield(m, "lifespan", line),
                    f"{line}  # in the lifespan, before `yield state`",
                ),
            ],
        )

    @property
    def line_length(self) -> int:
        """The project's ruff line length."""
        return line_length(self.root)

    def edit_optional(
        self, rel: str, update: Callable[[str], str], what: str, manual: str = ""
    ) -> None:
        """Edit a file the app runs without (README.md, .env.example, compose.yaml, the
        CI workflow): one that is missing stays missing, as a `skip` saying that `what`
        it would have got is not added, rather than coming back with only that."""
        link = dangling_link(self.root, rel)
        if link is not None:
            self.skip(rel, f"{link}: not changed, so without {what}")
            return
        source = read_text_file(self.root, rel)
        if source is None:
            self.skip(rel, f"missing: not recreated just for {what}")
            return
        self._update(rel, source, update, manual)

    @cached_property
    def env_names(self) -> EnvNames:
        """How the project's `Settings` names its environment variables (`env_prefix`,
        its own or a base class's)."""
        source = read_text_file(self.root, SETTINGS_MODULE)
        return env_names(source.text if source is not None else None, self._read_module)

    def finished(self) -> Plan:
        """The plan, its new files given the line ending of the files it edits, with a
        warning naming the files it writes variables' names into
        without the prefix they are read with, when that prefix is not known (a
        computed `env_prefix`): .env.example and compose.yaml are left to the user
        then, but README sections and the new code's comments still name them."""
        self.plan.follow_line_endings()
        env: EnvNames | None = self.__dict__.get("env_names")  # only if it was needed
        if env is None or env.unknown is None or not env.named_bare:
            return self.plan
        where = []
        for change in self.plan.changes:
            if not change.action.writes or change.content is None:
                continue
            bare = [
                name
                for name in sorted(env.named_bare)
                if variable_in(name, change.content, change.old or "")
            ]
            if bare:
                where.append(f"{change.path}: {', '.join(bare)}")
        if where:
            self.plan.by_hand.append(
                ByHand(
                    f"{env.unknown}; the lines added to these files name them without the prefix.",
                    "Put the prefix in front of these names there by hand, or give "
                    "`env_prefix` a literal string before the next `fastasync add`:",
                    "\n".join(where),
                )
            )
        return self.plan

    def _read_module(self, rel: str) -> str | None:
        """A module of the project a settings base class may come from; None when it
        is missing or unreadable (a link out of the project, not UTF-8)."""
        try:
            found = read_text_file(self.root, rel)
        except FastasyncError:
            return None
        return found.text if found is not None else None

    def leave_to_user(self, rel: str, message: str, hint: str, lines: str) -> None:
        """A file this command cannot edit but the rest can do without: `skip`, and
        the lines printed after the plan for the user to add."""
        self.skip(rel, "left to you: see the lines below")
        self.plan.by_hand.append(ByHand(message, hint, lines))

    def skip(self, rel: str, reason: str) -> None:
        """A file this command leaves alone, and why."""
        self.plan.add(FileChange(PurePosixPath(rel), Action.SKIP, reason=reason))

    def record(self, entry: dict[str, Any]) -> None:
        """Record the component and its options in the manifest."""
        self.plan.add(
            plan_update(
                self.root,
                MANIFEST_NAME,
                with_component(self.manifest, entry),
                source=self.manifest.file,
            )
        )

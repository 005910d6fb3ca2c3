"""Find a generated project's root and read or update its manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fastasync_cli.errors import NotAProjectError, TargetError

if TYPE_CHECKING:
    from fastasync_cli.engine.fileio import TextFile

MANIFEST_NAME = ".fastasync.toml"

# Components recorded with a name (`add celery` and `add db` record none).
NAMED_KINDS = ("endpoint", "client", "task")

# What `[project] db` may be; absent means "none" (made before databases).
DATABASES = ("sqlite", "postgres", "none")

_HEADER = (
    "# Written by fastasync: the options this project was generated with and every\n"
    "# component added since. `fastasync add` reads and updates it; keep it in git.\n"
)


@dataclass(frozen=True)
class Manifest:
    """The parsed manifest of a project."""

    root: Path
    text: str
    data: dict[str, Any]
    file: TextFile | None = None  # the bytes as read, for apply to check and write alike

    @property
    def project(self) -> dict[str, Any]:
        return dict(self.data.get("project", {}))

    @property
    def database(self) -> str:
        """The project's database: `sqlite`, `postgres`, or `none`."""
        return str(self.project.get("db", "none"))

    @property
    def components(self) -> list[dict[str, Any]]:
        return [dict(c) for c in self.data.get("components", [])]

    def names_in_use(self) -> dict[str, str]:
        """Every component name mapped to its kind."""
        return {c["name"]: c["kind"] for c in self.components if "name" in c}


def new_manifest(version: str, project: dict[str, Any]) -> str:
    """The manifest text of a freshly generated project."""
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment(_HEADER.splitlines()[0][2:]))
    doc.add(tomlkit.comment(_HEADER.splitlines()[1][2:]))
    doc.add("fastasync_version", version)
    table = tomlkit.table()
    for key, value in project.items():
        table.add(key, value)
    doc.add(tomlkit.nl())
    doc.add("project", table)
    return tomlkit.dumps(doc)


def with_component(manifest: Manifest, entry: dict[str, Any]) -> str:
    """The manifest text with `entry` recorded (replacing one of the same kind and name)."""
    import tomlkit

    doc = tomlkit.parse(manifest.text)
    components = doc.get("components")
    if components is None:
        components = tomlkit.aot()
        doc.append("components", components)
    # `components = [{...}]`, an inline array, holds inline tables: a table there
    # would be written as `[..., kind = "task"\nname = ...]`, which is not TOML.
    inline = not isinstance(components, tomlkit.items.AoT)
    item = _inline_table(entry) if inline else tomlkit.item(entry)
    for index, existing in enumerate(components):
        if existing.get("kind") == entry["kind"] and existing.get("name") == entry.get("name"):
            if dict(existing) == entry:
                return manifest.text
            components[index] = item
            return tomlkit.dumps(doc)
    components.append(item)
    return tomlkit.dumps(doc)


def _inline_table(entry: dict[str, Any]) -> Any:
    import tomlkit

    table = tomlkit.inline_table()
    table.update(entry)
    return table


def with_project_option(manifest: Manifest, key: str, value: Any) -> str:
    """The manifest text with one `[project]` option set."""
    import tomlkit

    doc = tomlkit.parse(manifest.text)
    doc["project"][key] = value
    return tomlkit.dumps(doc)


def find_root(start: Path) -> Path:
    """Walk up from `start` to the folder holding the manifest."""
    start = start.resolve()
    for folder in [start, *start.parents]:
        if (folder / MANIFEST_NAME).is_file():
            return folder
    raise NotAProjectError(
        f"No fastasync project found: looked for {MANIFEST_NAME} in {start} and every "
        "folder above it.",
        "Run the command inside a project made by `fastasync new`, or pass --project DIR.",
    )


def find_project(start: Path) -> Manifest:
    """Walk up from `start` to the folder holding the manifest, and read it."""
    return read_manifest(find_root(start))


def read_manifest(root: Path) -> Manifest:
    """Read and check the manifest of the project at `root`."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from fastasync_cli.engine.fileio import read_text_file

    candidate = root / MANIFEST_NAME
    try:
        file = read_text_file(root, MANIFEST_NAME)
    except TargetError as exc:
        raise NotAProjectError(f"{candidate}: {exc.message}", exc.hint) from None
    if file is None:
        raise NotAProjectError(
            f"{candidate} is gone.", "Restore it from git: git checkout -- .fastasync.toml"
        )
    try:
        data = tomlkit.parse(file.text).unwrap()
    except TOMLKitError as exc:
        raise NotAProjectError(
            f"{candidate} is not valid TOML: {exc}.",
            f"Fix the file by hand, or restore it from git: git checkout -- {MANIFEST_NAME}",
        ) from exc
    _check_shape(candidate, data)
    _check_version(candidate, data)
    return Manifest(root=root, text=file.text, data=data, file=file)


def _malformed(candidate: Path, problem: str) -> NotAProjectError:
    return NotAProjectError(
        f"{candidate} {problem}.",
        f"Fix the file by hand, or restore it from git: git checkout -- {MANIFEST_NAME}",
    )


def _check_shape(candidate: Path, data: dict[str, Any]) -> None:
    if not isinstance(data.get("project"), dict):
        raise NotAProjectError(
            f"{candidate} has no [project] table.",
            "Restore the manifest from git, or regenerate the project.",
        )
    # The options `add` reads: `celery = "false"` is a true string, and a `db` it
    # does not know sent `add endpoint` after an app/models/__init__.py it never wrote.
    options = data["project"]
    for key in ("docker", "celery"):
        if key in options and not isinstance(options[key], bool):
            raise _malformed(candidate, f"has a [project] {key} that is not true or false")
    if options.get("db", "none") not in DATABASES:
        raise _malformed(
            candidate, f"has a [project] db {options['db']!r}, not sqlite, postgres or none"
        )
    version = data.get("fastasync_version")
    if version is not None and not isinstance(version, str):
        raise _malformed(candidate, "has a fastasync_version that is not a string")
    components = data.get("components", [])
    if not isinstance(components, list):
        raise _malformed(candidate, "has a `components` that is not a list of [[components]]")
    for index, entry in enumerate(components, start=1):
        if not isinstance(entry, dict):
            raise _malformed(candidate, f"has a component (number {index}) that is not a table")
        for key in ("kind", "name"):
            if key in entry and not isinstance(entry[key], str):
                raise _malformed(
                    candidate, f"has a component (number {index}) whose {key} is not a string"
                )
        if "kind" not in entry:
            raise _malformed(candidate, f"has a component (number {index}) without a kind")
        # `add db` reads every endpoint back from here: its name and its fields.
        if entry["kind"] in NAMED_KINDS and "name" not in entry:
            raise _malformed(candidate, f"has a component (number {index}) without a name")
        fields = entry.get("fields", [])
        if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
            raise _malformed(
                candidate,
                f"has a component (number {index}) whose fields are not a list of strings",
            )


def _check_version(candidate: Path, data: dict[str, Any]) -> None:
    """Refuse a manifest written by a newer fastasync: its project may need newer code."""
    from fastasync_cli import __version__

    recorded = data.get("fastasync_version")
    if recorded is None:
        return
    needed, ours = _version_key(recorded), _version_key(__version__)
    if needed is None:
        shown = repr(recorded) if len(recorded) <= 40 else f"{recorded[:24]!r}..."
        raise _malformed(candidate, f"has a fastasync_version {shown} that is not a version")
    if ours is not None and needed > ours:
        raise NotAProjectError(
            f"This project was made by fastasync {recorded}, newer than this one ({__version__}).",
            f"Upgrade fastasync to {recorded} or later (pipx upgrade fastasync), then run "
            "the command again.",
        )


def _version_key(text: str) -> tuple[int, ...] | None:
    """The release numbers of a version such as 1.2.3 or 1.2.3.dev4 (pre-release parts dropped)."""
    import re

    match = re.fullmatch(r"v?(\d+(?:\.\d+)*)(?:[.+-]?[A-Za-z].*)?", text.strip())
    if match is None:
        return None
    try:
        numbers = [int(part) for part in match.group(1).split(".")]
    except ValueError:  # a part of more digits than Python reads (4300)
        return None
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)

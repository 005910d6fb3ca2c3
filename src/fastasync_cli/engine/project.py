"""Find a generated project's root and read or update its manifest."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastasync_cli.errors import NotAProjectError

MANIFEST_NAME = ".fastasync.toml"

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

    @property
    def project(self) -> dict[str, Any]:
        return dict(self.data.get("project", {}))

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
    for index, existing in enumerate(components):
        if existing.get("kind") == entry["kind"] and existing.get("name") == entry.get("name"):
            if dict(existing) == entry:
                return manifest.text
            components[index] = tomlkit.item(entry)
            return tomlkit.dumps(doc)
    components.append(tomlkit.item(entry))
    return tomlkit.dumps(doc)


def with_project_option(manifest: Manifest, key: str, value: Any) -> str:
    """The manifest text with one `[project]` option set."""
    import tomlkit

    doc = tomlkit.parse(manifest.text)
    doc["project"][key] = value  # type: ignore[index]
    return tomlkit.dumps(doc)


def find_project(start: Path) -> Manifest:
    """Walk up from `start` to the folder holding the manifest, and read it."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    start = start.resolve()
    for folder in [start, *start.parents]:
        candidate = folder / MANIFEST_NAME
        if candidate.is_file():
            text = candidate.read_text(encoding="utf-8")
            try:
                data = tomlkit.parse(text).unwrap()
            except TOMLKitError as exc:
                raise NotAProjectError(
                    f"{candidate} is not valid TOML: {exc}.",
                    f"Fix the file by hand, or restore it from git: "
                    f"git checkout -- {MANIFEST_NAME}",
                ) from exc
            if not isinstance(data.get("project"), dict):
                raise NotAProjectError(
                    f"{candidate} has no [project] table.",
                    "Restore the manifest from git, or regenerate the project.",
                )
            return Manifest(root=folder, text=text, data=data)
    raise NotAProjectError(
        f"No fastasync project found: looked for {MANIFEST_NAME} in {start} and every "
        "folder above it.",
        "Run the command inside a project made by `fastasync new`, or pass --project DIR.",
    )

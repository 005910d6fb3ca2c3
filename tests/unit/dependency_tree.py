"""The generated project's dependency tree, read from this environment's installed
distributions (the dev extra installs every one of them)."""

from __future__ import annotations

import re
from importlib import metadata

import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from fastasync_cli.engine.render import templates_root
from fastasync_cli.generators.celery import DEV_REQUIREMENT, REQUIREMENT


def top_requirements() -> list[str]:
    """Every requirement a generated project can have: runtime, dev, and Celery's."""
    text = (templates_root() / "project/template/pyproject.toml.jinja").read_text()
    text = re.sub(r"\{\{[^}]*\}\}", "x", text)
    project = tomllib.loads(text)["project"]
    return [
        *project["dependencies"],
        *project["optional-dependencies"]["dev"],
        REQUIREMENT,
        DEV_REQUIREMENT,
    ]


def _import_names(dist: metadata.Distribution) -> set[str]:
    top_level = dist.read_text("top_level.txt")
    if top_level:
        names = {line.strip() for line in top_level.splitlines() if line.strip()}
    else:
        names = set()
        for file in dist.files or []:
            first = file.parts[0]
            if first.endswith((".dist-info", ".egg-info", ".data")) or first in {
                "..",
                "__pycache__",
            }:
                continue
            if len(file.parts) == 1:
                if first.endswith(".py"):
                    names.add(first[:-3])
                elif first.endswith((".so", ".pyd")):
                    names.add(first.split(".")[0])
                elif first.endswith(".pth"):
                    continue
            else:
                names.add(first)
    return {name.replace("/", ".").split(".")[0] for name in names if name.isidentifier()}


def dependency_names() -> tuple[set[str], set[str]]:
    """(distribution names, top-level import names) of the whole dependency tree."""
    requested: dict[str, set[str]] = {}
    distributions: set[str] = set()
    imports: set[str] = set()
    stack = [Requirement(text) for text in top_requirements()]
    while stack:
        requirement = stack.pop()
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in requested and extras <= requested[name]:
            continue
        requested.setdefault(name, set()).update(extras)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a dependency for another platform or Python version
        distributions.add(name)
        imports |= _import_names(dist)
        for text in dist.requires or []:
            sub = Requirement(text)
            if sub.marker is None or any(
                sub.marker.evaluate({"extra": extra}) for extra in requested[name] | {""}
            ):
                stack.append(sub)
    return distributions, imports

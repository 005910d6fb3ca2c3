"""Round-trip edits of the config files the user owns: pyproject.toml with tomlkit,
compose.yaml with ruamel.yaml.

Like the Python edits, each is idempotent, keeps the user's formatting and comments,
and raises `AnchorMissing` or `SourceError` instead of guessing.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Any

from fastasync_cli.engine.edits import AnchorMissing, SourceError

# --- TOML (tomlkit) ------------------------------------------------------------------


def parse_toml(text: str, path: str) -> Any:
    """The tomlkit document of `text`; `SourceError` naming `path` when it does not parse."""
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        return tomlkit.parse(text)
    except ParseError as exc:
        raise SourceError(f"{path} does not parse (line {exc.line}: {exc})") from exc


def distribution_name(requirement: str) -> str:
    """The normalized name of the distribution a requirement line names."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement


def ensure_toml_dependency(
    text: str, path: str, requirement: str, *, extra: str | None = None
) -> str:
    """Add `requirement` to `[project] dependencies` (or to an optional `extra`).

    The file keeps its layout. A requirement on the same distribution that is already
    there, with any version range, is the user's choice and stays as it is.
    """
    import tomlkit

    doc = parse_toml(text, path)
    project = doc.get("project")
    if extra is None:
        where = "a `dependencies = [...]` list in `[project]`"
        dependencies = project.get("dependencies") if isinstance(project, dict) else None
    else:
        where = f"a `{extra} = [...]` list in `[project.optional-dependencies]`"
        extras = project.get("optional-dependencies") if isinstance(project, dict) else None
        dependencies = extras.get(extra) if isinstance(extras, dict) else None
        if dependencies is None:
            # Dev tools kept in a PEP 735 group only (`uv add --dev` writes one).
            groups = doc.get("dependency-groups")
            dependencies = groups.get(extra) if isinstance(groups, dict) else None
            where += " or `[dependency-groups]`"
    if not isinstance(dependencies, list):
        raise AnchorMissing(where)
    name = distribution_name(requirement)
    if any(distribution_name(str(existing)) == name for existing in dependencies):
        return text
    append_in_layout(dependencies, requirement)
    return tomlkit.dumps(doc)


def append_in_layout(array: Any, *values: str) -> None:
    """Append to a TOML array in its own layout: one a line, at its indentation, when
    it is split over lines (tomlkit's `append` would forget the comma after a last
    element that has a comment)."""
    layout = array.as_string()
    if "\n" not in layout:
        array.extend(values)
        return
    indents = re.findall(r"\n([ \t]*)[^\s\]#]", layout)
    indent = indents[0] if indents else "    "
    for value in values:
        array.add_line(value, indent=indent)


def ensure_toml_table(text: str, path: str, dotted: str, values: dict[str, Any]) -> str:
    """Add the table `dotted` (e.g. `tool.alembic`) with `values`, or the keys it lacks.

    Keys the table has keep the user's values.
    """
    import tomlkit

    doc = parse_toml(text, path)
    table: Any = doc
    parts = dotted.split(".")
    for depth, part in enumerate(parts):
        if part not in table:
            table.append(part, tomlkit.table(is_super_table=depth < len(parts) - 1))
        table = table[part]
        if not isinstance(table, dict):
            raise AnchorMissing(f"`[{'.'.join(parts[: depth + 1])}]` as a table")
    missing = {key: value for key, value in values.items() if key not in table}
    if not missing:
        return text
    for key, value in missing.items():
        table[key] = value
    return tomlkit.dumps(doc)


# --- YAML (ruamel.yaml round trip) --------------------------------------------------


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold the user's long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def ensure_yaml_entries(text: str, path: str, snippet: str) -> str:
    """Add every key of the YAML `snippet` that the document lacks, at any depth.

    Keys the document has keep the user's values; where both sides are mappings the
    missing keys inside are added. A key the snippet needs as a mapping that the
    user wrote otherwise (e.g. `environment:` as a list) stops the edit. The rest of
    the file, comments and quoting included, is written back as it was.
    """
    import io

    from ruamel.yaml.error import YAMLError

    yaml = _yaml()
    try:
        document = yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SourceError(f"{path} does not parse ({where}{problem})") from exc
    if not isinstance(document, dict):
        raise AnchorMissing("a mapping at the top level")
    loop = _self_reference(yaml.compose(text))
    if loop is not None:
        # ruamel.yaml loads `x: &a {again: *a}` with `again` empty: writing the file
        # back would drop the user's alias.
        raise SourceError(
            f"{path} has an anchor that refers to itself (`&{loop.anchor}`, line "
            f"{loop.start_mark.line + 1}), which fastasync cannot write back as it is"
        )
    changed = _merge_missing(document, yaml.load(snippet), [])
    if not changed:
        return text
    output = io.StringIO()
    yaml.dump(document, output)
    return output.getvalue().rstrip("\n") + "\n"


def _self_reference(root: Any) -> Any:
    """The first node (an anchored mapping or sequence) that contains itself through
    an alias, or None; `root` is the composed document (`YAML.compose`)."""
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    done: set[int] = set()
    inside: set[int] = set()  # the nodes on the path from the root
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:  # depth first, without recursion: a document may nest deeply
        node, leaving = stack.pop()
        if leaving:
            inside.discard(id(node))
            done.add(id(node))
            continue
        if id(node) in inside:
            return node
        if id(node) in done or not isinstance(node, MappingNode | SequenceNode):
            continue
        inside.add(id(node))
        stack.append((node, True))
        if isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = list(node.value)
        stack.extend((child, False) for child in reversed(children))
    return None


def _merge_missing(target: dict[str, Any], source: dict[str, Any], where: list[str]) -> bool:
    # What follows the mapping's last entry (blank lines, comments about the next
    # section) is stored with that entry; it moves to the new last entry, so it stays
    # where the user wrote it, below everything added here.
    trailing = _detach_trailing(target)
    changed = False
    # The snippet's lines between two of its keys (a comment on the next one) are
    # stored with the previous key's value: they go with the key they are about.
    notes = {after: _detach_trailing(source, before) for before, after in pairwise(source)}
    for key, value in source.items():
        if key not in target or (target[key] is None and value is not None):
            if key not in target:
                _attach_trailing(target, notes.get(key))
            target[key] = value
            changed = True
        elif isinstance(value, dict):
            if isinstance(target[key], list) and _is_settings_list(target[key], value):
                # compose's `environment: [KEY=value, ...]`: add the missing settings.
                names = {str(item).split("=", 1)[0] for item in target[key]}
                for name, setting in value.items():
                    if name not in names:
                        target[key].append(f"{name}={setting}")
                        changed = True
                continue
            if not isinstance(target[key], dict):
                raise AnchorMissing(f"`{'.'.join([*where, key])}` as a mapping")
            changed |= _merge_missing(target[key], value, [*where, key])
    _attach_trailing(target, trailing)
    return changed


def _is_settings_list(items: list[Any], wanted: dict[str, Any]) -> bool:
    """A list of `KEY=value` strings (compose's other way to write a mapping of
    scalars) where the snippet has a mapping of scalars."""
    return all(isinstance(item, str) and "=" in item for item in items) and all(
        isinstance(value, str | int | float) for value in wanted.values()
    )


def _last_comment_slot(node: Any) -> tuple[Any, Any, int] | None:
    """The comment slot after the deepest last entry below `node`: (holder, key, index)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    slot: tuple[Any, Any, int] | None = None
    while isinstance(node, CommentedMap | CommentedSeq) and len(node):
        if isinstance(node, CommentedMap):
            # Its own keys: not those merged in from an anchor (`<<: *common`).
            own = getattr(node, "_ok", None)
            keys = [k for k in node if own is None or k in own]
            if not keys:
                break
            key = keys[-1]
            slot = (node, key, 2)
            node = node[key]
        else:
            slot = (node, len(node) - 1, 0)
            node = node[-1]
    return slot


def _detach_trailing(node: Any, key: Any = None) -> Any:
    """Cut off what follows the deepest last entry of `node` (of `node[key]` with a
    key), after the end of its line; return it as a comment token, or None."""
    from ruamel.yaml.tokens import CommentToken

    if key is None:
        slot = _last_comment_slot(node)
    else:
        slot = _last_comment_slot(node[key]) or (node, key, 2)
    if slot is None:
        return None
    holder, key, index = slot
    entry = holder.ca.items.get(key)
    token = entry[index] if entry and len(entry) > index else None
    if not isinstance(token, CommentToken) or "\n" not in token.value:
        return None
    first, rest = token.value.split("\n", 1)
    if not rest or _indented_into(rest, node):
        return None
    entry[index] = CommentToken(first + "\n", token.start_mark, None)
    return CommentToken(rest, token.start_mark, None)


def _indented_into(comment: str, node: Any) -> bool:
    """Whether the comment lines start right of `node`'s keys: then they are about
    its last entry (commented-out list items, say), and stay with it."""
    lines = [line for line in comment.splitlines() if line.strip()]
    column = getattr(getattr(node, "lc", None), "col", None)
    if not lines or not isinstance(column, int):
        return False
    return len(lines[0]) - len(lines[0].lstrip()) > column


def _attach_trailing(node: Any, token: Any) -> None:
    if token is None:
        return
    slot = _last_comment_slot(node)
    if slot is None:
        return
    holder, key, index = slot
    entry = holder.ca.items.setdefault(key, [None, None, None, None])
    while len(entry) <= index:
        entry.append(None)
    existing = entry[index]
    if existing is not None:
        text = existing.value if existing.value.endswith("\n") else existing.value + "\n"
        token.value = text + token.value
    else:
        token.value = "\n" + token.value
    entry[index] = token

"""Append one item to a bracketed sequence (a list literal, a call's arguments, a
signature's parameters) without touching the items there: their commas, comments
and line breaks stay, and the new item follows the sequence's own layout (one a line
when it is split over lines). `format_edited` then wraps a line that grew too long.
"""

from __future__ import annotations

from typing import Any, TypeVar

import libcst as cst

# BaseElement: a list literal's items, `*rest` (StarredElement) too
Item = TypeVar("Item", cst.BaseElement, cst.Arg, cst.Param)

_NO_SPACE = cst.SimpleWhitespace("")


def _line_break(last_line: cst.SimpleWhitespace) -> cst.Comma:
    return cst.Comma(
        whitespace_after=cst.ParenthesizedWhitespace(
            first_line=cst.TrailingWhitespace(), indent=True, last_line=last_line
        )
    )


def _after_field(item: cst.CSTNode) -> str | None:
    if isinstance(item, cst.Arg):
        return "whitespace_after_arg"
    if isinstance(item, cst.Param):
        return "whitespace_after_param"
    return None


def append_item(
    items: list[Item],
    new: Item,
    opening: cst.BaseParenthesizableWhitespace,
    closing: cst.BaseParenthesizableWhitespace | None = None,
) -> tuple[list[Item], cst.BaseParenthesizableWhitespace | None]:
    """`items` with `new` at the end; returns the items and the new whitespace before
    the closing bracket (lists keep it in the bracket; pass it as `closing`)."""
    items = list(items)
    new = new.with_changes(comma=cst.MaybeSentinel.DEFAULT)
    if not items:
        return [new], closing
    last: Any = items[-1]
    after = _after_field(last)
    # The whitespace before the closing bracket: after the last item (arguments,
    # parameters) or inside the bracket (list elements).
    trailing = getattr(last, after) if after else closing
    exploded = isinstance(opening, cst.ParenthesizedWhitespace)
    if not exploded:
        if isinstance(last.comma, cst.Comma):
            last = last.with_changes(
                comma=last.comma.with_changes(whitespace_after=cst.SimpleWhitespace(" "))
            )
            new = new.with_changes(comma=cst.Comma())
        else:
            last = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
        items[-1] = last
        items.append(new)
        return items, closing
    assert isinstance(opening, cst.ParenthesizedWhitespace)
    indent = opening.last_line
    if isinstance(last.comma, cst.Comma) and isinstance(
        last.comma.whitespace_after, cst.ParenthesizedWhitespace
    ):
        # `a,  # comment` then `)` on its own line: the new item takes the last line.
        before_closing = last.comma.whitespace_after.last_line
        last = last.with_changes(
            comma=last.comma.with_changes(
                whitespace_after=last.comma.whitespace_after.with_changes(last_line=indent)
            )
        )
        new = new.with_changes(comma=_line_break(before_closing))
    elif isinstance(trailing, cst.ParenthesizedWhitespace):
        # No trailing comma: the line break (and any comment) before the bracket moves
        # behind the comma the last item gets.
        last = last.with_changes(
            comma=cst.Comma(whitespace_after=trailing.with_changes(last_line=indent))
        )
        if after:
            last = last.with_changes(**{after: _NO_SPACE})
        else:
            closing = _NO_SPACE
        new = new.with_changes(comma=_line_break(trailing.last_line))
    else:
        # The closing bracket right after the last item, on its line.
        last = last.with_changes(comma=_line_break(indent))
        if after:
            new = new.with_changes(**{after: trailing})
            last = last.with_changes(**{after: _NO_SPACE})
    items[-1] = last
    items.append(new)
    return items, closing


def remove_item(
    items: list[Item], index: int, closing: cst.BaseParenthesizableWhitespace | None = None
) -> tuple[list[Item], cst.BaseParenthesizableWhitespace | None]:
    """`items` without the item at `index`; its line goes, its neighbours stay."""
    items = list(items)
    removed: Any = items.pop(index)
    if index == len(items) and items:
        previous: Any = items[-1]
        # The previous item inherits what followed the removed one.
        if isinstance(removed.comma, cst.Comma):
            previous = previous.with_changes(comma=removed.comma)
        else:
            previous = previous.with_changes(comma=cst.MaybeSentinel.DEFAULT)
        items[-1] = previous
    return items, closing

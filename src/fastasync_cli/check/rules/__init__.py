"""The rules of `fastasync check`, one module each, with their documentation.

Codes are stable: a code is never reused for another rule.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    """One line on what the rule finds (SARIF's short description)."""
    fix: str
    """One line on what to do instead, naming the practice it breaks."""
    doc: str
    """What it does / Why is this bad / Example / Use instead."""


def _load() -> dict[str, Rule]:
    from fastasync_cli.check.rules import (
        fa001_syntax_error,
        fa101_blocking_call,
        fa102_client_per_request,
        fa103_sync_database,
        fa104_celery_call,
        fa105_nested_event_loop,
        fa106_cpu_heavy,
        fa107_background_task,
    )

    modules = (
        fa001_syntax_error,
        fa101_blocking_call,
        fa102_client_per_request,
        fa103_sync_database,
        fa104_celery_call,
        fa105_nested_event_loop,
        fa106_cpu_heavy,
        fa107_background_task,
    )
    return {module.RULE.code: module.RULE for module in modules}


RULES: dict[str, Rule] = _load()

"""The CPU-heavy work of `loop_under_cpu`: pure Python, holds the GIL throughout.

The same function body is written into the generated project's `cpu` task, and the
seed app's background task calls this one, so both do identical work.
"""


def burn(n: int) -> int:
    """A plain pure-Python loop, linear in n (about 2 s for n of a few tens of M)."""
    total = 0
    for i in range(n):
        total += i * i % 7
    return total

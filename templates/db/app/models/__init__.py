"""The database models, one module per table; importing this package registers them all.

Alembic's `migrations/env.py` and the tests import it to see every table.
"""

from app.db.base import Base
from app.models.job import JobRecord

__all__ = ["Base", "JobRecord"]

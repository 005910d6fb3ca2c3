"""The `jobs` table: background jobs' records, shared by every server process."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime

# Job ids are 32 hex digits (`app.jobs.models.Job`).
JOB_ID_LENGTH = 32


class JobRecord(Base):
    """One job, as `GET /api/jobs/{id}` shows it, and who is running it.

    `heartbeat_at` is renewed by the process running the job; a job whose heartbeat
    stopped was lost with its process (see `app.jobs.sql_store`).
    """

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_finished_at", "finished_at"),)

    id: Mapped[str] = mapped_column(String(JOB_ID_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16))
    result: Mapped[Any | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime)

"""The settings `fastasync add celery` adds: the `Settings` fields, the lines of
.env.example that document them, and the values the test settings give them."""

from __future__ import annotations

from fastasync_cli.engine import edits

SETTINGS_COMMENT = "Celery (fastasync add celery): Redis is the broker and the result backend."
SETTINGS_FIELDS = [
    edits.Field("redis_url", 'redis_url: str = "redis://localhost:6379/0"'),
    edits.Field(
        "celery_broker_url",
        "# Broker and result backend when not REDIS_URL (the tests use memory).\n"
        "celery_broker_url: str | None = None",
    ),
    edits.Field("celery_result_backend", "celery_result_backend: str | None = None"),
    edits.Field(
        "celery_soft_time_limit",
        "# Seconds a job may run: the soft limit raises SoftTimeLimitExceeded in it,\n"
        "# the hard limit kills its worker process.\n"
        "celery_soft_time_limit: float = Field(default=300, gt=0)",
    ),
    edits.Field("celery_time_limit", "celery_time_limit: float = Field(default=330, gt=0)"),
    edits.Field(
        "celery_visibility_timeout",
        "# Seconds before Redis gives a job that a dead worker took (idempotent tasks\n"
        "# only) to another worker; longer than the hard time limit.\n"
        "celery_visibility_timeout: float = Field(default=3600, gt=0)",
    ),
    edits.Field(
        "celery_broker_timeout",
        "# Seconds the app waits for Redis to queue or find a job before answering 503.\n"
        "celery_broker_timeout: float = Field(default=5.0, gt=0)",
    ),
    edits.Field(
        "celery_queue_max",
        "# Jobs that may wait in the queue for a worker; past it a new job answers 503\n"
        "# with Retry-After (Redis would take jobs until its memory ends).\n"
        "celery_queue_max: int = Field(default=10_000, ge=1)",
    ),
    edits.Field(
        "celery_max_retries",
        "# Retries after a transient error, with exponential backoff and jitter capped\n"
        "# at celery_retry_backoff_max seconds.\n"
        "celery_max_retries: int = Field(default=3, ge=0)",
    ),
    edits.Field(
        "celery_retry_backoff_max", "celery_retry_backoff_max: int = Field(default=600, ge=0)"
    ),
    edits.Field(
        "celery_result_expires",
        "# Seconds job statuses and results (and so job ids) are kept in Redis.\n"
        "celery_result_expires: int = Field(default=86400, gt=0)",
    ),
    edits.Field(
        "celery_result_max_bytes",
        "# Largest result a job may keep in Redis, as JSON bytes; a larger one fails\n"
        "# the job (ResultTooLargeError) instead of filling Redis's memory.\n"
        "celery_result_max_bytes: int = Field(default=1024 * 1024, ge=1)",
    ),
    edits.Field(
        "celery_input_max_bytes",
        "# Largest input a job may take, as JSON bytes; a larger one answers 413 before\n"
        "# it is queued: each waiting job holds its input in Redis's memory.\n"
        "celery_input_max_bytes: int = Field(default=64 * 1024, gt=0)",
    ),
]

ENV_COMMENT = "Celery (fastasync add celery): Redis is the broker and the result backend."
ENV_ENTRIES = [
    "# REDIS_URL=redis://localhost:6379/0",
    "# Broker and result backend, when not REDIS_URL.\n"
    "# CELERY_BROKER_URL=redis://localhost:6379/0\n"
    "# CELERY_RESULT_BACKEND=redis://localhost:6379/0",
    "# Seconds a job may run: the soft limit raises SoftTimeLimitExceeded in it, the\n"
    "# hard limit kills its worker process.\n"
    "# CELERY_SOFT_TIME_LIMIT=300\n"
    "# CELERY_TIME_LIMIT=330",
    "# Seconds before Redis gives a job whose worker died (idempotent tasks only) to\n"
    "# another worker. Must be longer than CELERY_TIME_LIMIT.\n"
    "# CELERY_VISIBILITY_TIMEOUT=3600",
    "# Seconds the app waits for Redis to queue or find a job before answering 503.\n"
    "# CELERY_BROKER_TIMEOUT=5.0",
    "# Jobs that may wait in the queue for a worker; past it a new job answers 503\n"
    "# with Retry-After (Redis would take jobs until its memory ends).\n"
    "# CELERY_QUEUE_MAX=10000",
    "# Retries after a transient error, with exponential backoff and jitter, waiting\n"
    "# at most CELERY_RETRY_BACKOFF_MAX seconds between two.\n"
    "# CELERY_MAX_RETRIES=3\n"
    "# CELERY_RETRY_BACKOFF_MAX=600",
    "# Seconds job statuses and results (and so job ids) are kept in Redis.\n"
    "# CELERY_RESULT_EXPIRES=86400",
    "# Largest result a job may keep in Redis, as JSON bytes; a larger one fails the\n"
    "# job instead of filling Redis's memory.\n"
    "# CELERY_RESULT_MAX_BYTES=1048576",
    "# Largest input a job may take, as JSON bytes; a larger one answers 413 before it\n"
    "# is queued (each waiting job holds its input in Redis's memory).\n"
    "# CELERY_INPUT_MAX_BYTES=65536",
]

# The test settings name every Celery field, as they do every other one: the broker
# and the result backend are in memory and retries do not wait.
TEST_SETTINGS = [
    ("redis_url", '"redis://localhost:6379/0"'),
    ("celery_broker_url", '"memory://"'),
    ("celery_result_backend", '"cache+memory://"'),
    ("celery_soft_time_limit", "30"),
    ("celery_time_limit", "35"),
    ("celery_visibility_timeout", "60"),
    ("celery_broker_timeout", "2.0"),
    ("celery_queue_max", "1000"),
    ("celery_max_retries", "3"),
    ("celery_retry_backoff_max", "0"),
    ("celery_result_expires", "600"),
    ("celery_result_max_bytes", "65536"),
    ("celery_input_max_bytes", "65536"),
]

# The variables the Celery settings are read from (REDIS_URL, CELERY_*), as named
# in the README, .env.example and compose.yaml.
SETTING_NAMES = [field.name for field in SETTINGS_FIELDS]

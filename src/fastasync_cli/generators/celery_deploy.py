"""What `add celery` adds to compose.yaml and the CI workflow: Redis and a worker."""

COMPOSE = """\
services:
  app:
    environment:
      REDIS_URL: redis://redis:6379/0
    depends_on:
      redis:
        condition: service_healthy

  # Redis: the Celery broker and result backend. The append-only file on a volume
  # keeps queued jobs and results across restarts of Redis.
  redis:
    image: redis:7-alpine
    command:
      - redis-server
      - --appendonly
      - "yes"
    volumes:
      - redis-data:/data
    healthcheck:
      test:
        - CMD
        - redis-cli
        - ping
      interval: 10s
      timeout: 3s
      start_period: 5s
      retries: 5
    restart: unless-stopped

  # The Celery worker: the app's image, running the tasks of app.tasks.CELERY_TASKS.
  worker:
    build: .
    command:
      - celery
      - -A
      - app.worker
      - worker
      - --loglevel
      - INFO
    env_file:
      - path: .env
        required: false
    environment:
      REDIS_URL: redis://redis:6379/0
    depends_on:
      redis:
        condition: service_healthy
    healthcheck:
      test:
        - CMD-SHELL
        - celery -A app.worker inspect ping --destination celery@$$HOSTNAME --timeout 5
      interval: 30s
      timeout: 15s
      start_period: 20s
      retries: 3
    # `docker compose stop` lets running jobs finish (CELERY_TIME_LIMIT is 330 s).
    stop_grace_period: 6m
    restart: unless-stopped

volumes:
  redis-data:
"""


# The CI workflow's test job gets a Redis, so the tests that need one run there.
CI_WORKFLOW = ".github/workflows/ci.yml"
CI_REDIS = """\
jobs:
  test:
    services:
      redis:
        image: redis:7-alpine
        ports:
          - 6379:6379
        options: >-
          --health-cmd "redis-cli ping" --health-interval 5s --health-timeout 3s
          --health-retries 10
    env:
      REDIS_URL: redis://localhost:6379/0
"""

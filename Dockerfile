# Production image: migrations once, then WEB_CONCURRENCY uvicorn workers. Point DATABASE_URL
# at PostgreSQL in production (compose.yaml starts it with PostgreSQL and Redis).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite:////app/data/escouting.db \
    WEB_CONCURRENCY=2

WORKDIR /app

# Dependencies first, so this layer is reused while only the code changes.
COPY requirements.txt ./
RUN pip install -r requirements.txt

COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
RUN pip install --no-deps -e . \
    && useradd --create-home --uid 10001 escouting \
    && mkdir -p /app/data \
    && chown -R escouting:escouting /app/data

# The embedded database (the default SQLite file, its generated secret and its search index
# snapshot) lives here: mount a volume to keep it. Declared after the chown, so a new volume
# starts owned by the service's user. Unused with DATABASE_URL on PostgreSQL.
VOLUME ["/app/data"]

USER escouting
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"

# `escouting migrate` runs once per container, before any worker starts; on PostgreSQL it
# holds an advisory lock, so containers that start together migrate one after the other (the
# later ones find the schema at head). Then `escouting serve` runs WEB_CONCURRENCY workers
# (`exec`: uvicorn gets SIGTERM directly and stops gracefully).
# On PostgreSQL set SECRET_KEY (the service refuses to start without one); on the default
# SQLite one is generated once into /app/data/escouting.db.secret. Behind a reverse proxy set
# TRUSTED_PROXIES: `escouting serve` leaves X-Forwarded-For to the application.
CMD ["sh", "-c", "escouting migrate && exec escouting serve --host 0.0.0.0 --port 8000 --workers \"${WEB_CONCURRENCY:-2}\""]

"""The ASGI application: `app.main:app`."""

import gc
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import lru_cache

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import PlainTextResponse, Response
from fastapi.routing import APIRoute
from fastapi_offline import FastAPIOffline
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator import Instrumentator
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from app.audit.router import router as audit_router
from app.auth.deps import metrics_reader
from app.catalogue.router import router as catalogue_router
from app.changes.router import router as changes_router
from app.config import Settings, get_settings
from app.db import alembic_config, get_engine
from app.errors import (
    ServiceUnavailable,
    install_problem_handlers,
    problem_response,
    problem_responses,
)
from app.keys.me import router as me_router
from app.keys.router import router as api_keys_router
from app.logs import configure_logging
from app.middleware import install_middleware, reject_nul_in_query
from app.params import reject_unknown_query
from app.partners.router import router as partners_router
from app.scouting.router import router as scouting_router
from app.search.engine import WarmUp
from app.search.router import router as search_router
from app.search.suggest_router import router as suggest_router
from app.search.synonyms_router import router as synonyms_router
from app.signing import signing_key
from app.suppliers.router import router as suppliers_router
from app.web import install_web
from app.webhooks.router import router as webhooks_router
from app.webhooks.worker import lifespan as webhooks_lifespan

API_PREFIX = "/api/v1"


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


@lru_cache
def schema_heads() -> frozenset[str]:
    """The Alembic head revision(s) this code expects."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


class Health(BaseModel):
    status: str = Field(description="`ok` when healthy.")
    revision: str | None = Field(default=None, description="Schema revision of the database.")


ops = APIRouter(tags=["operations"], responses=problem_responses(422))
# This process's search index warm-up, while the app runs (see `lifespan`).
WARM_UP: dict[str, WarmUp] = {}


@ops.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: the process is up (answered on the event loop: never waits for a thread or a
    database connection)."""
    return Health(status="ok")


@ops.get("/readyz", response_model=Health, responses=problem_responses(503))
def readyz() -> Health | Response:
    """Readiness: the database answers, its schema is at the head revision and this worker's
    search index is built."""
    try:
        with get_engine().connect() as conn:
            current = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    except SQLAlchemyError:
        raise ServiceUnavailable(detail="The database is unreachable or not migrated.") from None
    if current != schema_heads():
        raise ServiceUnavailable(
            detail=f"Schema at {sorted(current)}, expected {sorted(schema_heads())}: run "
            "`escouting migrate`."
        )
    warming = WARM_UP.get("current")
    if warming is not None and not warming.ready:  # a normal phase of start-up: no error log
        return problem_response(ServiceUnavailable(detail="The search index is being built."))
    return Health(status="ok", revision=",".join(sorted(current)))


def install_metrics(app: FastAPI, settings: Settings) -> None:
    """`GET /metrics`: request counts by route, method and status; latencies by route."""
    Instrumentator(
        should_group_status_codes=False,
        excluded_handlers=["/metrics"],
        registry=CollectorRegistry(),  # one per app: tests build several
    ).instrument(app).expose(
        app,
        tags=["operations"],
        summary="Prometheus metrics",
        description="Request counts and latencies in the Prometheus text format. For admin "
        "keys, and for the `METRICS_TOKEN` bearer when that setting is set.",
        response_class=PlainTextResponse,
        dependencies=[Depends(metrics_reader(settings.metrics_token))],
        responses={
            200: {"description": "Prometheus text exposition format."},
            **problem_responses(401, 403, 422, 429, 503),
        },
    )


# Young-generation threshold of the cyclic garbage collector while serving (CPython's default
# is 700 allocations). Searches and rankings allocate hundreds of thousands of short-lived
# tuples, so the default ran full collections over every object of the worker (its caches
# included) many times a second, each a pause of 100-250 ms that stalled the event loop:
# `/healthz` p99 under 64 searching clients was 146-186 ms with the default, 22 ms with this.
GC_THRESHOLD = (50_000, 20, 100)


@lru_cache(maxsize=1)
def tune_garbage_collector() -> None:
    """Once per process: fewer, larger collections while serving; what start-up allocated
    (modules, the application) is moved out of the collector's sight."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLD)


def lifespan(settings: Settings) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Start-up checks, then the webhook worker thread (if enabled) while the app runs."""
    webhooks = webhooks_lifespan(settings)

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        signing_key(settings)  # no usable SECRET_KEY: refuse to start (InsecureSecret)
        tune_garbage_collector()
        warming = None
        if settings.search_warm_up:
            warming = WarmUp(lambda: Session(get_engine()))
            WARM_UP["current"] = warming
            warming.start()
        try:
            async with webhooks(app):
                yield
        finally:
            if warming is not None:
                warming.stop()
                WARM_UP.pop("current", None)

    return _lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    # `/docs` and `/redoc` load Swagger UI and ReDoc from this service (the fastapi-offline
    # package ships them, under `/static-offline-docs`), never from a CDN: they work offline.
    app = FastAPIOffline(
        title=settings.api_title,
        version="1.0.0",
        description=(
            "Find qualified aerospace suppliers of the Lombardia Aerospace Cluster by supply "
            "chain, capability and certification. Errors are RFC 9457 problem details "
            "(`application/problem+json`). Authenticate with `Authorization: Bearer <key>`; "
            "anonymous callers read public fields only (never `contact`). Query parameters "
            "are strict: one an operation does not list, or a single-value one given twice, is "
            "a 422 naming it (with the closest listed name); repeatable ones say so. `HEAD` is "
            "answered wherever `GET` is, with the same status and headers and no body."
        ),
        generate_unique_id_function=_operation_id,
        lifespan=lifespan(settings),
        dependencies=[Depends(reject_unknown_query), Depends(reject_nul_in_query)],
    )
    configure_logging(settings)
    install_problem_handlers(app)
    install_middleware(app, settings)
    app.include_router(ops)
    install_metrics(app, settings)
    for router in (
        catalogue_router,
        partners_router,  # before suppliers: `/suppliers/export` is not a supplier id
        search_router,
        suggest_router,
        synonyms_router,
        suppliers_router,
        api_keys_router,
        me_router,
        audit_router,
        changes_router,
        webhooks_router,
        scouting_router,
    ):
        app.include_router(router, prefix=API_PREFIX, responses=problem_responses(422, 429, 503))
    install_web(app)
    return app


app = create_app()

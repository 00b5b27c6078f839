"""Schemathesis against the served OpenAPI document: anonymous and with an admin key.

Every operation gets schemathesis's example, coverage and fuzzing phases with all of its
checks (no server errors; status codes, content types, headers and bodies as documented;
invalid data rejected; valid data accepted). Each generated request runs in a transaction
of its own that is rolled back, on a database seeded with demo suppliers, on both backends.

Relaxed, per operation, only where the document cannot say what the API accepts:
`positive_data_acceptance` is off where validity depends on more than one field's schema
(Partita IVA check digits, VAT number and web address shapes, catalogue codes, issued/expiry
order, role and supplier binding, signed cursors, the rows of an import file, `radius_km`
only with `near`, webhook URLs that must resolve to public addresses, synonym terms that
repeat once case is ignored), and DELETE may answer 410/412 to a generated `If-Match`.
Query parameters are strict (app/params.py): the undeclared parameters and the repeated
single-value ones that schemathesis's negative phase sends must be refused, on every
operation, export included. Set FUZZ_EXAMPLES to fuzz longer (default 25 per operation and
identity).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from sqlalchemy import Engine

import app.main as main_module
from app.config import Settings
from app.db import build_engine, get_session
from app.demo import seed_demo
from app.main import create_app
from app.search.engine import forget_all
from tests.conftest import (
    BACKENDS,
    committed_admin_key,
    migrate,
    request_session,
    rolled_back_session,
    scratch_database,
)

SETTINGS = hypothesis.settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "25")),
    deadline=None,
    derandomize=True,  # the same requests on every run
    database=None,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

CONFIG = """
[[operations]]
include-name = [
  "POST /api/v1/suppliers",
  "PATCH /api/v1/suppliers/{supplier_id}",
  "POST /api/v1/api-keys",
  "GET /api/v1/suppliers",
  "GET /api/v1/audit",
  "POST /api/v1/suppliers/match",
  "POST /api/v1/suppliers/import",
  "POST /api/v1/webhooks",
  "GET /api/v1/webhooks/{webhook_id}/deliveries",
  "POST /api/v1/scouting-requests",
  "PATCH /api/v1/scouting-requests/{request_id}",
  "GET /api/v1/scouting-requests",
  "GET /api/v1/scouting-requests/{request_id}/matches",
  "PUT /api/v1/scouting-requests/{request_id}/marks/{supplier_id}",
  "POST /api/v1/scouting-requests/{request_id}/responses",
  "POST /api/v1/synonyms",
  "PATCH /api/v1/synonyms/{synonym_id}",
]
checks.positive_data_acceptance.enabled = false

[[operations]]
include-name = "DELETE /api/v1/suppliers/{supplier_id}"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "410", "412"]
"""


@schemathesis.serializer("application/x-ndjson")
def _ndjson(_ctx, value) -> bytes:
    """Import files are documented as binary strings; send generated ones as they are."""
    if isinstance(value, bytes):
        return value
    return value.encode() if isinstance(value, str) else str(value).encode()


APP = create_app(Settings(rate_limit_enabled=False))
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", APP, config=schemathesis.Config.from_str(CONFIG)
)


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_db(request, tmp_path_factory) -> Iterator[tuple[Engine, dict[str, str]]]:
    """A database of the module's own: migrated, 50 demo suppliers, one admin key."""
    with scratch_database(request.param, tmp_path_factory.mktemp("fuzz")) as url:
        migrate(url)
        engine = build_engine(url)
        seed_demo(engine=engine, suppliers=50, seed=7)
        admin = committed_admin_key(engine)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(main_module, "get_engine", lambda: engine)  # /readyz
            yield engine, admin
        engine.dispose()


@contextmanager
def rolled_back(engine: Engine) -> Iterator[None]:
    with rolled_back_session(engine) as session:
        APP.dependency_overrides[get_session] = request_session(session)
        try:
            yield
        finally:
            APP.dependency_overrides.clear()
            forget_all()  # each example starts from an index built anew


@schema.parametrize()
@SETTINGS
def test_anonymous(case: schemathesis.Case, fuzz_db) -> None:
    engine, _admin = fuzz_db
    with rolled_back(engine):
        case.call_and_validate()


@schema.parametrize()
@SETTINGS
def test_admin(case: schemathesis.Case, fuzz_db) -> None:
    engine, admin = fuzz_db
    with rolled_back(engine):
        case.call_and_validate(headers=admin)

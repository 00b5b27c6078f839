"""`HEAD` wherever `GET` works (issue 18, item 6): the same status and headers, no body."""

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app
from tests.factories import supplier_payload

API = "/api/v1"
# Differ between any two requests, HEAD or not.
PER_REQUEST = {"x-request-id", "ratelimit-reset", "ratelimit-remaining"}


def _same_but_body(get, head) -> None:
    assert head.status_code == get.status_code
    assert head.content == b""
    assert {k: v for k, v in head.headers.items() if k not in PER_REQUEST} == {
        k: v for k, v in get.headers.items() if k not in PER_REQUEST
    }


@pytest.mark.parametrize(
    "path",
    [
        "/healthz",
        f"{API}/supply-chains",
        f"{API}/capabilities?format=tree",
        f"{API}/suppliers?limit=2&facets=tier",
        f"{API}/suppliers/999999",  # 404 problem
        "/nowhere",  # 404 of the router
        f"{API}/suppliers?limit=0",  # 422 problem
        f"{API}/suppliers?limt=2",  # 422: strict parameters hold for HEAD too
        "/openapi.json",
        "/docs",
    ],
)
def test_head_answers_as_get_without_the_body(client, path):
    get = client.get(path)
    head = client.head(path)
    _same_but_body(get, head)
    if get.status_code == 200 and "content-length" in get.headers:
        assert int(head.headers["content-length"]) == len(get.content) > 0


def test_head_of_a_supplier_carries_its_etag_and_revalidates(client, admin):
    created = client.post(f"{API}/suppliers", json=supplier_payload(3), headers=admin).json()
    url = f"{API}/suppliers/{created['id']}"
    get, head = client.get(url, headers=admin), client.head(url, headers=admin)
    _same_but_body(get, head)
    assert head.headers["etag"]
    again = client.head(url, headers={**admin, "If-None-Match": head.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_head_of_a_streamed_export_has_its_headers(client, make_key):
    buyer = make_key("buyer")
    head = client.head(f"{API}/suppliers/export?format=csv", headers=buyer)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"].startswith("text/csv")
    assert head.headers["content-disposition"].startswith('attachment; filename="suppliers-')
    assert client.head(f"{API}/suppliers/export").status_code == 401


def test_head_is_not_allowed_where_get_is_not(client):
    response = client.head(f"{API}/suppliers/import")  # POST only
    assert response.status_code == 405 and response.content == b""
    assert response.headers["allow"] == "POST"
    assert "HEAD" in client.post(f"{API}/supply-chains").headers["allow"]


def test_head_counts_against_the_rate_budget_and_shows_it():
    throttled = create_app(Settings(rate_limit_enabled=True, rate_limit_anonymous="3/minute"))
    with TestClient(throttled) as test_client:
        first = test_client.head("/api/v1/me")
        assert first.status_code == 200 and first.content == b""
        assert first.headers["ratelimit-remaining"] == "2"
        assert test_client.get("/api/v1/me").json()["rate_limit"]["remaining"] == 1


def test_head_of_an_export_stops_after_the_headers(client, make_key, monkeypatch):
    """The export is not read to the end for a HEAD: here it never ends."""
    from app.partners import service

    def endless(_suppliers):
        yield "vat_number,name\n"
        while True:
            yield "IT00000010017,x\n"

    monkeypatch.setattr(service, "csv_lines", endless)
    buyer = make_key("buyer")
    head = client.head(f"{API}/suppliers/export?format=csv", headers=buyer)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-disposition"].endswith('.csv"')

"""Strict query parameters (issue 18, item 2): an unknown or repeated single-value query
parameter is a 422 problem naming it, on every operation; HTML pages are exempt."""

import re

import pytest
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.testclient import TestClient

from app.errors import install_problem_handlers
from app.main import app
from app.params import QueryParameters, query_errors, reject_unknown_query
from tests.factories import supplier_payload

API = "/api/v1"


def _errors(response) -> list[dict]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "request-validation-failed"
    return body["errors"]


def _only(response) -> dict:
    errors = _errors(response)
    assert len(errors) == 1, errors
    return errors[0]


def test_a_misspelt_search_filter_is_refused_with_a_suggestion(client):
    error = _only(client.get(f"{API}/suppliers", params={"supply_chian": "space"}))
    assert error == {
        "loc": ["query", "supply_chian"],
        "msg": "unknown parameter; did you mean `supply_chain`?",
        "type": "extra_forbidden",  # the type pydantic gives an unknown JSON body field
    }
    detail = client.get(f"{API}/suppliers?supply_chian=space").json()["detail"]
    assert "supply_chian" in detail and "supply_chain" in detail
    # The right spelling still filters.
    assert client.get(f"{API}/suppliers", params={"supply_chain": "space"}).status_code == 200


def test_an_unknown_parameter_in_the_body_is_refused_in_the_same_shape(client, admin):
    body = _only(client.post(f"{API}/suppliers", json=supplier_payload(1, nmae="x"), headers=admin))
    query = _only(client.get(f"{API}/suppliers", params={"nmae": "x"}))
    assert body["loc"][0] == "body" and query["loc"][0] == "query"
    assert body["type"] == query["type"] == "extra_forbidden"


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("Supply_Chain", "supply_chain"),  # case
        ("supply-chain", "supply_chain"),  # hyphen for underscore
        ("capabilities", "capability"),
        ("certifications", "certification"),
        ("page_size", "limit"),  # what other APIs call it
        ("offset", "cursor"),
        ("search", "q"),
        ("pagesize", None),
        ("limt", "limit"),
        ("curser", "cursor"),
    ],
)
def test_the_closest_known_name_is_suggested(client, name, suggestion):
    error = _only(client.get(f"{API}/suppliers", params={name: "x"}))
    assert error["loc"] == ["query", name]
    if suggestion:
        assert error["msg"] == f"unknown parameter; did you mean `{suggestion}`?"
    else:  # nothing close: the operation's parameters are listed
        assert error["msg"].startswith("unknown parameter; this operation takes `capability`")
        assert "`supply_chain`" in error["msg"] and "`cursor`" in error["msg"]


def test_every_unknown_parameter_is_named_once(client):
    errors = _errors(client.get(f"{API}/suppliers?tierr=tier1&tierr=tier2&verifed=true&limit=5"))
    assert [e["loc"] for e in errors] == [["query", "tierr"], ["query", "verifed"]]
    assert errors[0]["msg"] == "unknown parameter; did you mean `tier`?"
    assert errors[1]["msg"] == "unknown parameter; did you mean `verified`?"


def test_repeatable_parameters_take_repeats_single_value_ones_do_not(client):
    ok = client.get(
        f"{API}/suppliers?tier=tier1&tier=tier2&supply_chain=space&supply_chain=fixed-wing"
    )
    assert ok.status_code == 200, ok.text
    for query in ("limit=5&limit=10", "sort=name&sort=-updated_at", "cursor=a&cursor=b"):
        error = _only(client.get(f"{API}/suppliers?{query}"))
        assert error["loc"] == ["query", query.split("=")[0]]
        assert error == {**error, "msg": "given 2 times; takes one value", "type": "repeated"}


def test_cursor_is_known_where_an_operation_pages(client):
    first = client.get(f"{API}/suppliers", params={"limit": 1}).json()
    if first["next_cursor"]:
        page = client.get(f"{API}/suppliers", params={"limit": 1, "cursor": first["next_cursor"]})
        assert page.status_code == 200
    # The catalogue does not page: a cursor there is a mistake worth naming, with what the
    # operation does take (the label language).
    error = _only(client.get(f"{API}/supply-chains", params={"cursor": "x"}))
    assert error["msg"] == "unknown parameter; this operation takes `lang`"
    error = _only(client.get(f"{API}/me", params={"cursor": "x"}))
    assert error["msg"] == "unknown parameter; this operation takes no query parameters"


def test_catalogue(client):
    assert client.get(f"{API}/capabilities", params={"format": "tree"}).status_code == 200
    error = _only(client.get(f"{API}/capabilities", params={"fromat": "tree"}))
    assert error["msg"] == "unknown parameter; did you mean `format`?"
    error = _only(client.get(f"{API}/certification-standards", params={"q": "9100"}))
    assert error["loc"] == ["query", "q"]


def test_export(client, make_key):
    buyer = make_key("buyer")
    assert (
        client.get(f"{API}/suppliers/export", params={"format": "csv"}, headers=buyer).status_code
        == 200
    )
    error = _only(client.get(f"{API}/suppliers/export", params={"formt": "csv"}, headers=buyer))
    assert error == {
        "loc": ["query", "formt"],
        "msg": "unknown parameter; did you mean `format`?",
        "type": "extra_forbidden",
    }


def test_changes_feed(client, make_key):
    partner = make_key("partner")
    assert client.get(f"{API}/changes", params={"limit": 5}, headers=partner).status_code == 200
    # `since` is the usual name elsewhere; the feed pages with `after`.
    error = _only(client.get(f"{API}/changes", params={"aftr": "3"}, headers=partner))
    assert error["msg"] == "unknown parameter; did you mean `after`?"


def test_query_aliases_are_the_known_names(client, make_key):
    """`status` is the parameter's alias (the function argument has another name)."""
    buyer = make_key("buyer")
    assert (
        client.get(f"{API}/scouting-requests", params={"status": "open"}, headers=buyer).status_code
        == 200
    )
    error = _only(client.get(f"{API}/scouting-requests", params={"statu": "open"}, headers=buyer))
    assert error["msg"] == "unknown parameter; did you mean `status`?"


def test_unknown_parameters_are_refused_before_the_key_is_checked(client):
    """The parameters of an operation are public (OpenAPI); refusing them first tells a caller
    about both mistakes in turn, and never reads a body meant for a mistyped operation."""
    error = _only(client.post(f"{API}/suppliers/import?dryrun=true", content=b"x"))
    assert error["msg"] == "unknown parameter; did you mean `dry_run`?"


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_operations_without_parameters(client, path):
    error = _only(client.get(path, params={"verbose": "1"}))
    assert error["msg"] == "unknown parameter; this operation takes no query parameters"


def test_metrics(client, admin):
    assert client.get("/metrics", headers=admin).status_code == 200
    assert _only(client.get("/metrics?name[]=x", headers=admin))["loc"] == ["query", "name[]"]


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/openapi.json", "/docs/oauth2-redirect"])
def test_documentation_routes_take_any_query(client, path):
    assert client.get(path, params={"anything": "1", "urls.primaryName": "x"}).status_code == 200


def test_html_pages_and_undocumented_routes_are_exempt():
    """A page reads its own query string in the browser (the URL reflects the search), so a
    route answering HTML, or left out of the OpenAPI document, takes any parameter."""
    from fastapi import Depends

    page = FastAPI(dependencies=[Depends(reject_unknown_query)])
    install_problem_handlers(page)

    @page.get("/", response_class=HTMLResponse)
    def home() -> str:
        return "<p>search</p>"

    @page.get("/hidden", include_in_schema=False)
    def hidden() -> dict:
        return {}

    @page.get("/api")
    def api(q: str | None = None) -> dict:
        return {"q": q}

    with TestClient(page) as test_client:
        assert test_client.get("/?q=titanio&supply_chain=space&cursor=x").status_code == 200
        assert test_client.get("/hidden?x=1").status_code == 200
        assert test_client.get("/api?q=a").json() == {"q": "a"}
        assert test_client.get("/api?qq=a").status_code == 422


def test_parameters_of_dependencies_are_known():
    """Query parameters declared by a dependency belong to the operation too."""
    from typing import Annotated

    from fastapi import Depends, Query

    def paging(
        limit: Annotated[int, Query()] = 10, tag: Annotated[list[str] | None, Query()] = None
    ) -> int:
        return limit

    sub = FastAPI(dependencies=[Depends(reject_unknown_query)])
    install_problem_handlers(sub)

    @sub.get("/items")
    def items(size: Annotated[int, Depends(paging)], q: str = "") -> dict:
        return {"size": size}

    with TestClient(sub) as test_client:
        assert test_client.get("/items?limit=3&q=x&tag=a&tag=b").json() == {"size": 3}
        response = test_client.get("/items?limit=3&limit=4&lmit=2")
        assert [e["loc"][1] for e in response.json()["errors"]] == ["limit", "lmit"]


def test_query_errors_unit():
    accepted = QueryParameters(names=frozenset({"q", "tier"}), single=frozenset({"q"}))
    assert query_errors([("tier", "a"), ("tier", "b"), ("q", "x")], accepted) == []
    assert [e["type"] for e in query_errors([("q", "a"), ("q", "b"), ("x", "")], accepted)] == [
        "repeated",
        "extra_forbidden",
    ]


def _operations() -> list[tuple[str, str, set[str]]]:
    document = app.openapi()
    return [
        (method.upper(), path, {p["name"] for p in op.get("parameters", []) if p["in"] == "query"})
        for path, item in document["paths"].items()
        for method, op in item.items()
    ]


def _id(value: object) -> str:
    """A stable test id (a set's order varies between processes: xdist must agree)."""
    return ",".join(sorted(value)) if isinstance(value, set) else str(value)


@pytest.mark.parametrize(("method", "path", "documented"), _operations(), ids=_id)
def test_every_operation_is_strict_and_knows_exactly_its_documented_parameters(
    client, method, path, documented
):
    """What an operation accepts is what its OpenAPI operation lists (FastAPI's dependant
    tree, dependencies included)."""
    url = re.sub(r"\{[^}]+\}", "1", path)
    response = client.request(method, url, params={"zzqxj": "1"})
    error = _only(response)
    assert error["loc"] == ["query", "zzqxj"]
    listed = set(re.findall(r"`([^`]+)`", error["msg"]))
    assert listed == documented, (error["msg"], documented)


def test_query_models_and_openapi_extra_parameters_are_known():
    """A query parameter model's fields, and `in: query` parameters declared by hand in
    `openapi_extra` (read by the route itself), are known names too."""
    from typing import Annotated

    from fastapi import Depends, Query, Request
    from pydantic import BaseModel

    class Filters(BaseModel):
        colour: str | None = None
        tags: list[str] = []

    models = FastAPI(dependencies=[Depends(reject_unknown_query)])
    install_problem_handlers(models)

    @models.get("/things")
    def things(filters: Annotated[Filters, Query()]) -> dict:
        return filters.model_dump()

    @models.get(
        "/raw", openapi_extra={"parameters": [{"name": "raw", "in": "query", "required": False}]}
    )
    def raw(request: Request) -> dict:
        return {"raw": request.query_params.get("raw")}

    with TestClient(models) as test_client:
        assert test_client.get("/things?colour=red&tags=a&tags=b").json() == {
            "colour": "red",
            "tags": ["a", "b"],
        }
        errors = test_client.get("/things?color=red&colour=a&colour=b").json()["errors"]
        assert [(e["loc"][1], e["type"]) for e in errors] == [
            ("color", "extra_forbidden"),
            ("colour", "repeated"),
        ]
        assert errors[0]["msg"] == "unknown parameter; did you mean `colour`?"
        assert test_client.get("/raw?raw=1").json() == {"raw": "1"}
        assert test_client.get("/raw?rwa=1").status_code == 422

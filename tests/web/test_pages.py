"""The pages for people, without a browser: offline docs, the search page at `/`."""

import re

import pytest

from app.main import app
from app.middleware import DOCS_CSP
from app.web import PAGE_CSP, STATIC

ABSOLUTE_URL = re.compile(r"https?://|\s(?:src|href)=[\"']//")
# A string literal holding an absolute or scheme-relative URL.
URL_LITERAL = re.compile(r"[\"'`](?:https?:)?//")


def _same_origin_assets(html: str) -> list[str]:
    """Every `src` / `href` of `html`, checked to be a path on this service (or data:)."""
    assets = re.findall(r"""\s(?:src|href)=["']([^"']*)""", html)
    for asset in assets:
        assert asset.startswith("data:") or (asset.startswith("/") and not asset.startswith("//"))
    return [asset for asset in assets if asset.startswith("/")]


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_load_everything_from_this_service(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert ABSOLUTE_URL.findall(response.text) == []  # no CDN, no Google Fonts
    assert response.headers["content-security-policy"] == DOCS_CSP
    assets = _same_origin_assets(response.text)
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert served.headers["content-type"].split(";")[0] in {
            "text/javascript",
            "application/javascript",
            "text/css",
            "image/png",
        }


def test_the_search_page_is_served_at_the_root(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["content-security-policy"] == PAGE_CSP
    assert ABSOLUTE_URL.findall(response.text) == []
    assert {"/web/main.js", "/web/style.css"} <= set(_same_origin_assets(response.text))
    assert 'role="search"' in response.text


def test_the_search_page_answers_head_and_names_its_methods(client):
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""
    refused = client.post("/")
    assert refused.status_code == 405
    assert set(refused.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


def test_the_page_modules_are_served_and_import_only_each_other(client):
    modules = sorted(STATIC.glob("*.js"))
    assert modules
    for module in modules:
        served = client.get(f"/web/{module.name}")
        assert served.status_code == 200
        assert served.headers["content-type"].startswith("text/javascript")
        assert served.headers["cache-control"] == "no-cache"  # revalidated: no stale release
        assert URL_LITERAL.findall(served.text) == []
        for imported in re.findall(r"""from\s+["']([^"']+)["']""", served.text):
            assert imported.startswith("./") and (STATIC / imported[2:]).is_file(), imported
    assert client.get("/web/style.css").headers["content-type"].startswith("text/css")


def test_the_pages_stay_out_of_the_api_description():
    paths = app.openapi()["paths"]
    assert "/" not in paths and "/docs" not in paths
    assert all(path.startswith(("/api/v1/", "/healthz", "/readyz", "/metrics")) for path in paths)

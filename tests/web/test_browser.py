"""The docs and the buyer search page in a real browser: Debian's chromium, driven headless by
Playwright, against `escouting serve` on a small seeded database of its own.

Whatever the page shows is checked against the API's own answer to the same question. The
browser may reach this server only: any request elsewhere (a CDN) is aborted and fails the
test, as it would fail a user without internet.
"""

import os
import re
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from app.db import build_engine
from app.demo import seed_demo
from tests.conftest import committed_admin_key, migrate
from tests.factories import supplier_payload
from tests.servers import running_server

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason=f"no chromium at {CHROMIUM} (`apt-get install chromium`)"
)

ROOT = Path(__file__).resolve().parents[2]
API = "/api/v1"
SUPPLIERS = 60  # three pages of 20
NAMES = "#results li.result h3 a"


class Server:
    def __init__(self, base: str, admin: dict[str, str]) -> None:
        self.base = base
        self.admin = admin
        self.http = httpx.Client(base_url=base, timeout=10)

    def api(self, path: str, **params: Any) -> Any:
        """The API's own answer, anonymous like the page."""
        response = self.http.get(f"{API}{path}", params=params)
        response.raise_for_status()
        return response.json()

    def names(self, **params: Any) -> list[str]:
        return [item["name"] for item in self.api("/suppliers", limit=20, **params)["items"]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`escouting serve` on a migrated SQLite database with 60 demo suppliers and one
    supplier whose name and description are HTML."""
    directory = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{directory / 'web.db'}"
    migrate(url)
    engine = build_engine(url)
    seed_demo(engine=engine, suppliers=SUPPLIERS, seed=42)
    admin = committed_admin_key(engine)
    engine.dispose()
    log = directory / "server.log"
    with running_server(url, log=log, SEARCH_SNAPSHOT_DIR="off") as base:
        server = Server(base, admin)
        hostile = supplier_payload(
            990,
            name="<i>Torx</i> Officina",
            description='Zincatura <img src="x" onerror="document.title=1"> di bulloneria.',
        )
        server.http.post(f"{API}/suppliers", json=hostile, headers=admin).raise_for_status()
        yield server
        server.http.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, server: Server) -> Iterator[Any]:
    """A fresh page that can reach `server` only; it fails the test on a script error or a
    request elsewhere."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    elsewhere: list[str] = []
    errors: list[str] = []

    def offline(route: Any) -> None:
        if route.request.url.startswith(server.base):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", offline)
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.set_default_timeout(5000)
    yield tab
    context.close()
    assert not errors, f"script errors on the page: {errors}"
    # ReDoc's footer logo is the one image it fetches from its CDN (and hides when it fails).
    assert [url for url in elsewhere if "cdn.redoc.ly" not in url] == []


def _km(distance: float) -> str:
    """`distance` as the page writes it in English: at most one decimal, rounded half up
    from the exact value (as `toLocaleString` does), grouped thousands."""
    rounded = Decimal(distance).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:,f}".removesuffix(".0") + " km"


def _query(page: Any) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_swagger_ui_lists_every_operation_offline(page, server):
    page.goto(f"{server.base}/docs")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    shown = {
        (block.get_attribute("class").split("opblock-")[-1].split()[0], path)
        for block, path in (
            (op, op.locator(".opblock-summary-path").get_attribute("data-path"))
            for op in operations.all()
        )
    }
    documented = server.http.get("/openapi.json").json()["paths"]
    assert shown == {(method, path) for path, ops in documented.items() for method in ops}


def test_redoc_renders_offline(page, server):
    page.goto(f"{server.base}/redoc")
    documented = server.http.get("/openapi.json").json()
    search = documented["paths"][f"{API}/suppliers"]["get"]["summary"]
    expect(page.locator("h2", has_text=search)).to_be_visible(timeout=15000)
    expect(page.locator("h1")).to_contain_text(documented["info"]["title"])
    summaries = {op["summary"] for ops in documented["paths"].values() for op in ops.values()}
    assert summaries <= {text.strip() for text in page.locator("h2").all_inner_texts()}


def test_buyer_searches_suggests_filters_pages_and_opens_a_supplier(page, server):
    page.goto(server.base)
    expect(page.get_by_role("search")).to_be_visible()
    expect(page.locator(NAMES)).to_have_text(server.names())
    expect(page.locator("#summary")).to_have_text(f"{SUPPLIERS + 1} suppliers")

    # Suggestions as you type: what /suggest answers, in order.
    page.get_by_role("combobox", name="Search suppliers").fill("tita")
    expected = [
        item["text"] for item in server.api("/suggest", q="tita", limit=8, lang="en")["items"]
    ]
    assert expected
    expect(page.locator("#suggestions [role=option] .text")).to_have_text(expected)

    # Submitted: the API's items for the same query, with its highlights.
    page.get_by_role("combobox", name="Search suppliers").fill("titanio")
    page.get_by_role("combobox", name="Search suppliers").press("Escape")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(NAMES)).to_have_text(server.names(q="titanio"))
    assert _query(page)["q"] == ["titanio"]
    expect(page.locator("#results mark").first).to_be_visible()

    # A facet, with its label and count; then it is a chip.
    facets = server.api("/suppliers", q="titanio", facets="supply_chain")["facets"]
    chain, count = next(iter(facets["supply_chain"].items()))
    chains = {c["code"]: c["name_en"] for c in server.api("/supply-chains")}
    box = page.get_by_role("checkbox", name=f"{chains[chain]} {count}")
    box.check()
    expect(page.locator(NAMES)).to_have_text(server.names(q="titanio", supply_chain=chain))
    expect(page.locator("#summary")).to_have_text(
        f"{count} suppliers" if count > 1 else "1 supplier"
    )
    assert _query(page)["supply_chain"] == [chain]
    expect(box).to_be_focused()  # keyboard users stay where they were
    chip = page.get_by_role("button", name=f"Remove filter: {chains[chain]}")
    expect(chip).to_be_visible()

    # Removing the chip undoes the filter; clearing the words shows everyone again.
    chip.click()
    expect(page.locator(NAMES)).to_have_text(server.names(q="titanio"))
    page.get_by_role("combobox", name="Search suppliers").fill("")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator(NAMES)).to_have_text(server.names())

    # "More" follows next_cursor: pages one and two as the API pages them.
    first = server.api("/suppliers", limit=20)
    second = server.api("/suppliers", limit=20, cursor=first["next_cursor"])
    page.get_by_role("button", name="More results").click()
    expect(page.locator(NAMES)).to_have_text([i["name"] for i in first["items"] + second["items"]])

    # A supplier's page: the API's record; Back returns to the same results.
    target = second["items"][3]
    page.get_by_role("link", name=target["name"], exact=True).click()
    record = server.api(f"/suppliers/{target['id']}")
    expect(page.locator("#detail h2")).to_have_text(record["name"])
    expect(page.locator("#results-view")).to_be_hidden()
    expect(page.locator("#detail .description")).to_have_text(record["description"])
    assert _query(page)["supplier"] == [str(target["id"])]
    standards = {s["code"]: s["name"] for s in server.api("/certification-standards")}
    expect(page.locator("#detail .certificates tbody td:first-child")).to_have_text(
        [standards[c["standard"]] for c in record["certifications"]]
    )
    page.go_back()
    expect(page.locator("#detail")).to_be_hidden()
    expect(page.get_by_role("button", name="More results")).to_be_visible()
    expect(page.locator(NAMES).first).to_have_text(first["items"][0]["name"])


def test_a_shared_address_shows_the_same_search_in_italian(page, server):
    capability = "machining.milling-5-axis"
    page.goto(f"{server.base}/?q=fresatura&capability={capability}&lang=it")
    expect(page.locator(NAMES)).to_have_text(server.names(q="fresatura", capability=capability))
    expect(page.get_by_role("button", name="Cerca", exact=True)).to_be_visible()
    labels = {c["code"]: c["name_it"] for c in server.api("/capabilities")}
    expect(page.get_by_role("checkbox", name=labels[capability])).to_be_checked()
    expect(
        page.get_by_role("button", name=f"Togli il filtro: {labels[capability]}")
    ).to_be_visible()
    page.reload()
    expect(page.locator(NAMES)).to_have_text(server.names(q="fresatura", capability=capability))
    # The language switch relabels the facets from the catalogue, without a new search.
    page.get_by_role("button", name="EN", exact=True).click()
    english = {c["code"]: c["name_en"] for c in server.api("/capabilities")}
    expect(page.get_by_role("checkbox", name=english[capability])).to_be_checked()
    assert _query(page)["lang"] == ["en"]


def test_near_a_city_shows_distances_nearest_first(page, server):
    page.goto(server.base)
    page.get_by_label("City").select_option(label="Varese")
    items = server.api("/suppliers", limit=20, near="45.8206,8.8251", sort="distance")["items"]
    expect(page.locator(NAMES)).to_have_text([i["name"] for i in items])
    expect(page.locator("#results .facts").first).to_contain_text(_km(items[0]["distance_km"]))


def test_only_the_highlights_are_inserted_as_html(page, server):
    page.goto(f"{server.base}/?q=Torx")
    link = page.get_by_role("link", name="<i>Torx</i> Officina")
    expect(link).to_be_visible()
    assert link.locator("i").count() == 0  # the name is text, its match is a <mark>
    expect(link.locator("mark")).to_have_text("Torx")
    page.goto(f"{server.base}/?q=zincatura")
    expect(page.locator("#results .description").first).to_contain_text('<img src="x"')
    assert page.locator("#results img").count() == 0
    assert page.title() != "1"


def test_a_suggestion_chosen_with_the_keyboard_becomes_a_filter(page, server):
    page.goto(server.base)
    expect(page.locator(NAMES)).to_have_count(20)
    box = page.get_by_role("combobox", name="Search suppliers")
    box.fill("tita")
    items = server.api("/suggest", q="tita", limit=8, lang="en")["items"]
    index, capability = next((i, s) for i, s in enumerate(items) if s["kind"] == "capability")
    options = page.get_by_role("listbox", name="Suggestions").get_by_role("option")
    expect(options).to_have_count(len(items))
    for _ in range(index + 1):
        box.press("ArrowDown")
    expect(options.and_(page.get_by_role("option", selected=True))).to_have_text(
        re.compile(capability["text"])
    )
    box.press("Enter")
    expect(page.locator(NAMES)).to_have_text(server.names(capability=capability["value"]))
    assert _query(page)["capability"] == [capability["value"]]
    assert "q" not in _query(page)
    expect(page.get_by_role("button", name=f"Remove filter: {capability['text']}")).to_be_visible()

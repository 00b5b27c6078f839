"""A hand-built registry for e-scouting tests: which suppliers pass which knock-outs is known.

Dates are relative to today, so the expected sets hold whenever the suite runs.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from tests.factories import supplier_payload

SUPPLIERS = "/api/v1/suppliers"
API = "/api/v1/scouting-requests"
TODAY = datetime.now(UTC).date()


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


NEEDED_BY = day(180)
VALID = {"issued_on": day(-400), "expires_on": day(1000)}


def cert(standard: str = "en-9100", **fields) -> dict:
    return {"standard": standard, **VALID, **fields}


# name -> (supply chains, capabilities, certificates); all else as supplier_payload (Varese,
# small, same description), so only what is listed differs.
REGISTRY = {
    "Alfa": (
        ["rotary-wing"],
        ["machining.milling-5-axis", "testing.ndt.ultrasonic"],
        [cert(verification="registry-verified")],
    ),
    "Beta": (["space"], ["machining.milling-5-axis"], [cert()]),
    "Gamma": (["fixed-wing"], ["machining.milling-5-axis", "testing.ndt"], [cert()]),
    "Delta": (
        ["rotary-wing"],
        ["machining.milling-5-axis"],
        [cert(issued_on=day(-2000), expires_on=day(-10))],
    ),
    "Epsilon": (["rotary-wing"], ["machining.milling-5-axis"], [cert(status="suspended")]),
    "Zeta": (  # valid today, lapses before needed_by
        ["rotary-wing"],
        ["machining.milling-5-axis"],
        [cert(expires_on=day(30))],
    ),
    "Eta": (  # EN 9100 fine; ISO 9001 lapses before needed_by
        ["rotary-wing", "fixed-wing"],
        ["testing.ndt"],
        [cert(), cert("iso-9001", certificate_number="ISO-77", expires_on=day(60))],
    ),
    "Theta": (["rotary-wing"], ["machining.milling-5-axis"], []),
    "Kappa": (  # issued after today, before needed_by: valid on needed_by, not today
        ["space"],
        [],
        [cert(issued_on=day(10), expires_on=day(2000))],
    ),
    "Lambda": (["rotary-wing"], ["machining.milling-5-axis"], [cert()]),  # deleted below
}
MATCH_ON_NEEDED_BY = {"Alfa", "Beta", "Eta", "Kappa"}
MATCH_TODAY = {"Alfa", "Beta", "Eta", "Zeta"}


def request_body(**overrides) -> dict:
    body = {
        "title": "Titanium rotor parts",
        "description": "Cerchiamo fornitori per la fresatura a 5 assi di particolari in titanio "
        "per elicotteri, con controlli non distruttivi.",
        "supply_chains": ["rotary-wing", "space"],
        "required_capabilities": ["machining.milling-5-axis", "testing.ndt"],
        "preferred_capabilities": ["surface-treatment.anodizing"],
        "required_certifications": ["en-9100"],
        "provinces": ["VA"],
        "size_classes": ["small"],
        "needed_by": NEEDED_BY,
    }
    body.update(overrides)
    return body


@dataclass
class World:
    ids: dict[str, int]  # supplier name -> id
    admin: dict[str, str]
    buyer: dict[str, str]
    other_buyer: dict[str, str]
    partner: dict[str, str]
    keys: dict[str, dict[str, str]]  # supplier name -> its supplier key

    def names(self, ids) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id[i] for i in ids}


@pytest.fixture
def world(client, admin, make_key) -> World:
    ids = {}
    for n, (name, (chains, capabilities, certificates)) in enumerate(REGISTRY.items(), start=1):
        body = supplier_payload(
            n,
            name=f"{name} Aerospace",
            supply_chains=chains,
            capabilities=capabilities,
            certifications=certificates,
        )
        response = client.post(SUPPLIERS, json=body, headers=admin)
        assert response.status_code == 201, response.text
        ids[name] = response.json()["id"]
    assert client.delete(f"{SUPPLIERS}/{ids['Lambda']}", headers=admin).status_code == 204
    return World(
        ids=ids,
        admin=admin,
        buyer=make_key("buyer"),
        other_buyer=make_key("buyer"),
        partner=make_key("partner"),
        keys={name: make_key("supplier", ids[name]) for name in ("Alfa", "Gamma", "Zeta")},
    )


def post_request(client, headers, **overrides) -> dict:
    response = client.post(API, json=request_body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def all_matches(client, request_id: int, headers, **params) -> list[dict]:
    """Every match, following cursors."""
    items, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get(f"{API}/{request_id}/matches", params=query, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items

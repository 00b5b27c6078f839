"""The EU SME size class is computed by the database and never stale."""

import pytest

from app.suppliers.sizing import size_class
from tests.factories import supplier_payload

API = "/api/v1/suppliers"

CASES = [
    (None, None, None),
    (0, None, "micro"),
    (9, 2_000_000, "micro"),
    (9, 2_000_001, "small"),
    (10, 1_000_000, "small"),
    (49, 10_000_000, "small"),
    (49, 10_000_001, "medium"),
    (50, None, "medium"),
    (249, 50_000_000, "medium"),
    (249, 50_000_001, "large"),
    (250, 1_000_000, "large"),
    (5000, None, "large"),
]


@pytest.mark.parametrize(("employees", "revenue", "expected"), CASES)
def test_python_rule(employees, revenue, expected):
    assert size_class(employees, revenue) == expected


def test_database_agrees_and_recomputes_on_change(client, admin):
    for n, (employees, revenue, expected) in enumerate(CASES, start=1):
        payload = supplier_payload(n, employees=employees, annual_revenue_eur=revenue)
        body = client.post(API, json=payload, headers=admin).json()
        assert body["size_class"] == expected, (employees, revenue)
    supplier = client.post(
        API, json=supplier_payload(99, employees=5, annual_revenue_eur=None), headers=admin
    ).json()
    assert supplier["size_class"] == "micro"
    patched = client.patch(f"{API}/{supplier['id']}", json={"employees": 120}, headers=admin)
    assert patched.json()["size_class"] == "medium"
    assert client.get(f"{API}/{supplier['id']}").json()["size_class"] == "medium"

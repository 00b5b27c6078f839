"""Builders of valid request bodies for tests."""

from typing import Any

from stdnum import luhn


def make_vat(n: int) -> str:
    """The n-th valid Italian Partita IVA (IT + 7 digits + office 001 + check digit)."""
    body = f"{n % 10_000_000 or 1:07d}001"
    return f"IT{body}{luhn.calc_check_digit(body)}"


def supplier_payload(n: int = 1, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": f"Meccanica Test {n}",
        "legal_name": f"Meccanica Test {n} S.r.l.",
        "vat_number": make_vat(n),
        "description": "Fresatura a 5 assi di particolari in titanio per elicotteri.",
        "website": "https://example.com",
        "address": {
            "street": "Via Roma 1",
            "city": "Varese",
            "province": "VA",
            "postal_code": "21100",
            "country": "IT",
        },
        "location": {"lat": 45.82, "lon": 8.83},
        "employees": 35,
        "annual_revenue_eur": 6_000_000,
        "tier": "tier2",
        "supply_chains": ["rotary-wing"],
        "capabilities": ["machining.milling-5-axis", "machining.titanium"],
        "certifications": [
            {
                "standard": "en-9100",
                "certificate_number": "EN9100-001",
                "issuer": "RINA",
                "issued_on": "2024-01-15",
                "expires_on": "2027-01-14",
                "status": "active",
                "scope": "Machining of aerospace parts",
            }
        ],
        "programs": ["AW139"],
        "contact": {
            "name": "Mario Rossi",
            "email": "mario.rossi@example.com",
            "phone": "+39 0332 123456",
        },
    }
    body.update(overrides)
    return body

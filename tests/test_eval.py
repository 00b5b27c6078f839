"""The relevance evaluation's data files (eval/): well-formed, no database needed."""

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from app.suppliers.schemas import SupplierCreate
from tests.factories import make_vat

EVAL = Path(__file__).resolve().parent.parent / "eval"
CLASSES = ("exact_name", "cross_language", "inflection", "typo", "acronym", "several_concepts")


def _lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (EVAL / name).read_text().splitlines() if line.strip()]


def _catalogue() -> object:
    """The initial migration's catalogue lists (capabilities, standards, supply chains)."""
    path = next((EVAL.parent / "migrations" / "versions").glob("*_0001_initial_schema.py"))
    spec = importlib.util.spec_from_file_location("initial_schema", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PROFILES = _lines("profiles.jsonl")
QUERIES = _lines("queries.jsonl")


@pytest.mark.parametrize("n", range(len(PROFILES)))
def test_profile_is_a_valid_supplier_body(n: int) -> None:
    profile = PROFILES[n]
    assert "vat_number" not in profile  # added at load time
    SupplierCreate.model_validate({**profile, "vat_number": make_vat(n + 1)})


def test_profiles_use_catalogue_codes_and_distinct_names() -> None:
    catalogue = _catalogue()
    chains = {row[0] for row in catalogue.SUPPLY_CHAINS}
    capabilities = {row[0] for row in catalogue.CAPABILITIES}
    standards = {row[0] for row in catalogue.CERTIFICATION_STANDARDS}
    assert len(PROFILES) >= 60
    assert len({p["name"] for p in PROFILES}) == len(PROFILES)
    for p in PROFILES:
        assert set(p["supply_chains"]) <= chains, p["name"]
        assert set(p["capabilities"]) <= capabilities, p["name"]
        assert {c["standard"] for c in p["certifications"]} <= standards, p["name"]


def test_queries_are_judged_on_existing_profiles() -> None:
    names = {p["name"] for p in PROFILES}
    assert len(QUERIES) >= 60
    for query in QUERIES:
        assert query["class"] in CLASSES, query
        assert query["q"].strip(), query
        assert query["judgments"], query
        assert set(query["judgments"]) <= names, query
        assert set(query["judgments"].values()) <= {1, 2, 3}, query
    counts = Counter(query["class"] for query in QUERIES)
    assert all(counts[c] >= 8 for c in CLASSES), counts

"""The catalogues are seeded by the migration on every database."""

SPEC_STANDARDS = {
    "en-9100",
    "en-9110",
    "en-9120",
    "iso-9001",
    "iso-14001",
    "iso-45001",
    "easa-part-21g",
    "easa-part-145",
    "aqap-2110",
} | {
    f"nadcap-{c}"
    for c in (
        "heat-treating",
        "chemical-processing",
        "non-destructive-testing",
        "welding",
        "composites",
        "coatings",
        "materials-testing-labs",
        "electronics",
        "measurement-inspection",
        "nonconventional-machining",
        "surface-enhancement",
        "sealants",
        "elastomer-seals",
        "fluids-distribution",
        "conventional-machining",
    )
}


def test_supply_chains(client):
    chains = client.get("/api/v1/supply-chains").json()
    assert [c["code"] for c in chains] == ["fixed-wing", "rotary-wing", "space"]
    assert all(c["name_en"] and c["name_it"] for c in chains)


def test_capability_taxonomy_is_a_consistent_tree(client):
    caps = client.get("/api/v1/capabilities").json()
    codes = {c["code"] for c in caps}
    roots = [c for c in caps if c["parent"] is None]
    assert len(caps) >= 40 and len(roots) >= 8
    for cap in caps:
        assert set(cap) == {"code", "parent", "name_en", "name_it", "label"}
        assert cap["name_en"] and cap["name_it"]
        if cap["parent"] is not None:
            assert cap["parent"] in codes
            assert cap["code"].startswith(cap["parent"] + ".")
    assert {
        "machining.milling-5-axis",
        "composites.autoclave-curing",
        "avionics",
        "additive-manufacturing.metal-lpbf",
        "surface-treatment.anodizing",
        "electronics.pcb-assembly",
        "software.embedded",
        "testing.ndt",
        "engineering.design",
    } <= codes


def test_capability_tree_and_subtree(client):
    tree = client.get("/api/v1/capabilities", params={"format": "tree"}).json()
    flat = client.get("/api/v1/capabilities").json()

    def count(nodes):
        return sum(1 + count(n["children"]) for n in nodes)

    assert count(tree) == len(flat)
    assert all(node["parent"] is None for node in tree)
    testing = client.get("/api/v1/capabilities", params={"root": "testing.ndt"}).json()
    assert {c["code"] for c in testing} == {
        "testing.ndt",
        "testing.ndt.ultrasonic",
        "testing.ndt.radiography",
        "testing.ndt.penetrant",
    }
    assert client.get("/api/v1/capabilities", params={"root": "nope"}).status_code == 404


def test_certification_standards_cover_the_spec(client):
    standards = client.get("/api/v1/certification-standards").json()
    assert {s["code"] for s in standards} >= SPEC_STANDARDS
    assert all(s["name"] and s["kind"] for s in standards)
    nadcap = [s for s in standards if s["code"].startswith("nadcap-")]
    assert len(nadcap) == 15 and {s["kind"] for s in nadcap} == {"nadcap-special-process"}

"""Deterministic demo data shaped like the Lombardia Aerospace Cluster (`escouting seed-demo`).

The same seed, supplier count and day give the same rows: every draw comes from one
`random.Random(seed)` (VAT numbers from a second one derived from the seed) and catalogue codes
are read in a fixed order. Profiles, places, names and phrases are data files (`data/`, read by
`tables`); `generator` draws suppliers from them; `seeding` appends them after whatever the
database holds, in batches written by the shared supplier writer (`app.suppliers.writing`).
"""

from app.demo.seeding import DemoSummary, seed_demo

__all__ = ["DemoSummary", "seed_demo"]

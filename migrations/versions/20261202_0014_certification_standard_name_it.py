"""Certification standards get an Italian name (`name_it`), for labels in Italian responses.

`name` stays the English name. The Italian names of the seeded standards are embedded here so
this revision never changes; a standard added later by another revision brings its own. A row
this revision does not know (none today) gets its English name.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NADCAP_IT = {
    "heat-treating": "Trattamenti termici",
    "chemical-processing": "Processi chimici",
    "non-destructive-testing": "Controlli non distruttivi",
    "welding": "Saldatura",
    "composites": "Compositi",
    "coatings": "Rivestimenti",
    "materials-testing-labs": "Laboratori di prova dei materiali",
    "electronics": "Elettronica",
    "measurement-inspection": "Misura e ispezione",
    "nonconventional-machining": "Lavorazioni meccaniche non convenzionali",
    "surface-enhancement": "Trattamenti di miglioramento superficiale",
    "sealants": "Sigillanti",
    "elastomer-seals": "Guarnizioni in elastomero",
    "fluids-distribution": "Distribuzione dei fluidi",
    "conventional-machining": "Lavorazioni meccaniche convenzionali come processo speciale",
}
NAMES_IT = {
    "en-9100": "EN 9100 Sistemi di gestione per la qualità per aeronautica, spazio e difesa",
    "en-9110": "EN 9110 Sistemi di gestione per la qualità per le organizzazioni di "
    "manutenzione aeronautica",
    "en-9120": "EN 9120 Sistemi di gestione per la qualità per i distributori di aeronautica, "
    "spazio e difesa",
    "iso-9001": "ISO 9001 Sistemi di gestione per la qualità",
    "iso-14001": "ISO 14001 Sistemi di gestione ambientale",
    "iso-45001": "ISO 45001 Sistemi di gestione per la salute e sicurezza sul lavoro",
    "easa-part-21g": "EASA Parte 21 Sezione G Approvazione delle imprese di produzione",
    "easa-part-145": "EASA Parte 145 Approvazione delle imprese di manutenzione",
    "aqap-2110": "AQAP 2110 Requisiti NATO di assicurazione della qualità per progettazione, "
    "sviluppo e produzione",
} | {f"nadcap-{code}": f"Nadcap {name}" for code, name in NADCAP_IT.items()}


def upgrade() -> None:
    # Plain ALTER TABLE on both databases: on SQLite a batch (copy and rename) of a table
    # other tables reference fails once they hold rows. SQLite adds a NOT NULL column only
    # with a default, so there it keeps an empty-string default no row relies on.
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.add_column(
        "certification_standard",
        sa.Column(
            "name_it",
            sa.String(length=200),
            nullable=not sqlite,
            server_default=sa.text("''") if sqlite else None,
        ),
    )
    standard = sa.table(
        "certification_standard", sa.column("code"), sa.column("name"), sa.column("name_it")
    )
    for code, name_it in NAMES_IT.items():
        op.execute(standard.update().where(standard.c.code == code).values(name_it=name_it))
    unnamed = sa.or_(standard.c.name_it.is_(None), standard.c.name_it == "")
    op.execute(standard.update().where(unnamed).values(name_it=standard.c.name))
    if not sqlite:
        op.alter_column(
            "certification_standard",
            "name_it",
            existing_type=sa.String(length=200),
            nullable=False,
        )


def downgrade() -> None:
    # SQLite (3.35+) drops a plain column in place, without copying the table.
    op.execute("ALTER TABLE certification_standard DROP COLUMN name_it")

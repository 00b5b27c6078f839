"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The catalogues are part of the schema's contract: every database gets them from here.
SUPPLY_CHAINS = [
    ("rotary-wing", "Rotary wing", "Ala rotante", "Helicopters and tiltrotors: airframes, transmissions, rotors, systems."),
    ("fixed-wing", "Fixed wing", "Ala fissa", "Aircraft, notably military trainers: aerostructures, systems, equipment."),
    ("space", "Space", "Spazio", "Satellites with scientific or Earth-observation payloads, launchers, ground segment."),
]

# (code, name_en, name_it); the parent is the code up to its last dot.
CAPABILITIES = [
    ("machining", "Machining", "Lavorazioni meccaniche"),
    ("machining.milling-3-axis", "3-axis milling", "Fresatura a 3 assi"),
    ("machining.milling-5-axis", "5-axis milling", "Fresatura a 5 assi"),
    ("machining.turning", "Turning", "Tornitura"),
    ("machining.grinding", "Grinding", "Rettifica"),
    ("machining.edm", "Electrical discharge machining", "Elettroerosione"),
    ("machining.titanium", "Titanium machining", "Lavorazione del titanio"),
    ("machining.large-parts", "Large part machining", "Lavorazione di grandi particolari"),
    ("sheet-metal", "Sheet metal", "Lavorazione lamiera"),
    ("sheet-metal.forming", "Sheet metal forming", "Formatura lamiera"),
    ("sheet-metal.laser-cutting", "Laser cutting", "Taglio laser"),
    ("sheet-metal.welding", "Welding", "Saldatura"),
    ("composites", "Composites", "Materiali compositi"),
    ("composites.prepreg-layup", "Prepreg lay-up", "Laminazione di preimpregnati"),
    ("composites.autoclave-curing", "Autoclave curing", "Polimerizzazione in autoclave"),
    ("composites.rtm", "Resin transfer moulding", "Stampaggio RTM"),
    ("composites.filament-winding", "Filament winding", "Avvolgimento filamentare"),
    ("additive-manufacturing", "Additive manufacturing", "Manifattura additiva"),
    ("additive-manufacturing.metal-lpbf", "Metal laser powder bed fusion", "Fusione laser a letto di polvere metallica"),
    ("additive-manufacturing.polymer", "Polymer 3D printing", "Stampa 3D di polimeri"),
    ("additive-manufacturing.ded", "Directed energy deposition", "Deposizione diretta di energia"),
    ("surface-treatment", "Surface treatment", "Trattamenti superficiali"),
    ("surface-treatment.anodizing", "Anodizing", "Anodizzazione"),
    ("surface-treatment.painting", "Aerospace painting", "Verniciatura aeronautica"),
    ("surface-treatment.plating", "Electroplating", "Trattamenti galvanici"),
    ("surface-treatment.shot-peening", "Shot peening", "Pallinatura"),
    ("surface-treatment.heat-treatment", "Heat treatment", "Trattamenti termici"),
    ("electronics", "Electronics", "Elettronica"),
    ("electronics.pcb-assembly", "PCB assembly", "Assemblaggio di schede elettroniche"),
    ("electronics.wire-harness", "Wire harnesses", "Cablaggi"),
    ("electronics.power", "Power electronics", "Elettronica di potenza"),
    ("electronics.rf-microwave", "RF and microwave", "Radiofrequenza e microonde"),
    ("avionics", "Avionics", "Avionica"),
    ("avionics.flight-control", "Flight control systems", "Sistemi di controllo del volo"),
    ("avionics.navigation", "Navigation systems", "Sistemi di navigazione"),
    ("avionics.cockpit-displays", "Cockpit displays", "Display di cabina di pilotaggio"),
    ("software", "Software", "Software"),
    ("software.embedded", "Embedded software", "Software embedded"),
    ("software.safety-critical", "Safety-critical software (DO-178C)", "Software critico per la sicurezza (DO-178C)"),
    ("software.simulation", "Simulation and training", "Simulazione e addestramento"),
    ("software.ground-segment", "Ground segment software", "Software di segmento di terra"),
    ("testing", "Testing", "Prove e collaudi"),
    ("testing.ndt", "Non-destructive testing", "Controlli non distruttivi"),
    ("testing.ndt.ultrasonic", "Ultrasonic inspection", "Controllo a ultrasuoni"),
    ("testing.ndt.radiography", "Radiographic inspection", "Controllo radiografico"),
    ("testing.ndt.penetrant", "Penetrant inspection", "Controllo con liquidi penetranti"),
    ("testing.environmental", "Environmental testing", "Prove ambientali"),
    ("testing.vibration", "Vibration testing", "Prove di vibrazione"),
    ("testing.materials", "Materials testing", "Prove sui materiali"),
    ("engineering", "Engineering", "Ingegneria"),
    ("engineering.design", "Design engineering", "Progettazione"),
    ("engineering.stress-analysis", "Stress analysis", "Calcolo strutturale"),
    ("engineering.certification-support", "Certification support", "Supporto alla certificazione"),
    ("assembly", "Assembly", "Assemblaggio"),
    ("assembly.aerostructures", "Aerostructure assembly", "Assemblaggio di aerostrutture"),
    ("assembly.mechanical", "Mechanical assembly", "Assemblaggio meccanico"),
    ("assembly.cabin-interiors", "Cabin interiors", "Allestimento interni"),
    ("space-systems", "Space systems", "Sistemi spaziali"),
    ("space-systems.payloads", "Payload development", "Sviluppo di payload"),
    ("space-systems.optics", "Space optics", "Ottica spaziale"),
    ("space-systems.thermal-control", "Thermal control", "Controllo termico"),
    ("space-systems.cleanroom-integration", "Clean-room integration", "Integrazione in camera bianca"),
    ("mro", "Maintenance, repair and overhaul", "Manutenzione, riparazione e revisione"),
    ("mro.rotorcraft", "Rotorcraft maintenance", "Manutenzione di elicotteri"),
    ("mro.components", "Component overhaul", "Revisione di componenti"),
]

NADCAP = [
    ("heat-treating", "Heat Treating"),
    ("chemical-processing", "Chemical Processing"),
    ("non-destructive-testing", "Non-Destructive Testing"),
    ("welding", "Welding"),
    ("composites", "Composites"),
    ("coatings", "Coatings"),
    ("materials-testing-labs", "Materials Testing Laboratories"),
    ("electronics", "Electronics"),
    ("measurement-inspection", "Measurement & Inspection"),
    ("nonconventional-machining", "Nonconventional Machining"),
    ("surface-enhancement", "Surface Enhancement"),
    ("sealants", "Sealants"),
    ("elastomer-seals", "Elastomer Seals"),
    ("fluids-distribution", "Fluids Distribution"),
    ("conventional-machining", "Conventional Machining as a Special Process"),
]

CERTIFICATION_STANDARDS = [
    ("en-9100", "EN 9100 Quality management systems for aviation, space and defence", "quality-management"),
    ("en-9110", "EN 9110 Quality management systems for aviation maintenance organisations", "quality-management"),
    ("en-9120", "EN 9120 Quality management systems for aviation, space and defence distributors", "quality-management"),
    ("iso-9001", "ISO 9001 Quality management systems", "quality-management"),
    ("iso-14001", "ISO 14001 Environmental management systems", "environmental-management"),
    ("iso-45001", "ISO 45001 Occupational health and safety management systems", "occupational-health-safety"),
    ("easa-part-21g", "EASA Part 21 Subpart G Production Organisation Approval", "airworthiness-approval"),
    ("easa-part-145", "EASA Part 145 Maintenance Organisation Approval", "airworthiness-approval"),
    ("aqap-2110", "AQAP 2110 NATO quality assurance requirements for design, development and production", "defence-quality"),
] + [(f"nadcap-{code}", f"Nadcap {name}", "nadcap-special-process") for code, name in NADCAP]


def _seed_catalogues() -> None:
    supply_chain = sa.table(
        "supply_chain", sa.column("code"), sa.column("name_en"), sa.column("name_it"), sa.column("description")
    )
    capability = sa.table(
        "capability", sa.column("code"), sa.column("parent"), sa.column("name_en"), sa.column("name_it")
    )
    standard = sa.table("certification_standard", sa.column("code"), sa.column("name"), sa.column("kind"))
    op.bulk_insert(
        supply_chain,
        [{"code": c, "name_en": en, "name_it": it, "description": d} for c, en, it, d in SUPPLY_CHAINS],
    )
    op.bulk_insert(
        capability,
        [
            {"code": c, "parent": c.rpartition(".")[0] or None, "name_en": en, "name_it": it}
            for c, en, it in CAPABILITIES
        ],
    )
    op.bulk_insert(standard, [{"code": c, "name": n, "kind": k} for c, n, k in CERTIFICATION_STANDARDS])


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('capability',
    sa.Column('code', sa.String(length=100), nullable=False),
    sa.Column('parent', sa.String(length=100), nullable=True),
    sa.Column('name_en', sa.String(length=150), nullable=False),
    sa.Column('name_it', sa.String(length=150), nullable=False),
    sa.ForeignKeyConstraint(['parent'], ['capability.code'], name=op.f('fk_capability_parent_capability')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_capability'))
    )
    with op.batch_alter_table('capability', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_capability_parent'), ['parent'], unique=False)

    op.create_table('certification_standard',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_certification_standard'))
    )
    op.create_table('supplier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('legal_name', sa.String(length=200), nullable=True),
    sa.Column('vat_number', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('street', sa.String(length=200), nullable=True),
    sa.Column('city', sa.String(length=100), nullable=True),
    sa.Column('province', sa.String(length=2), nullable=True),
    sa.Column('postal_code', sa.String(length=10), nullable=True),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('employees', sa.Integer(), nullable=True),
    sa.Column('annual_revenue_eur', sa.BigInteger(), nullable=True),
    sa.Column('size_class', sa.String(length=10), sa.Computed("CASE WHEN employees IS NULL THEN NULL WHEN employees < 10 AND (annual_revenue_eur IS NULL OR annual_revenue_eur <= 2000000) THEN 'micro' WHEN employees < 50 AND (annual_revenue_eur IS NULL OR annual_revenue_eur <= 10000000) THEN 'small' WHEN employees < 250 AND (annual_revenue_eur IS NULL OR annual_revenue_eur <= 50000000) THEN 'medium' ELSE 'large' END", persisted=True), nullable=True),
    sa.Column('tier', sa.String(length=10), nullable=True),
    sa.Column('programs', sa.JSON(), nullable=False),
    sa.Column('contact_name', sa.String(length=200), nullable=True),
    sa.Column('contact_email', sa.String(length=320), nullable=True),
    sa.Column('contact_phone', sa.String(length=40), nullable=True),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint('employees IS NULL OR employees >= 0', name=op.f('ck_supplier_employees_non_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier'))
    )
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supplier_deleted_at'), ['deleted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_name'), ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_province'), ['province'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_updated_at'), ['updated_at'], unique=False)
        batch_op.create_index('uq_supplier_vat_number_live', ['vat_number'], unique=True, sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))

    op.create_table('supply_chain',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name_en', sa.String(length=100), nullable=False),
    sa.Column('name_it', sa.String(length=100), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_supply_chain'))
    )
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_api_key_supplier_id_supplier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_key')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_api_key_key_hash'))
    )
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_key_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('supplier_capability',
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('capability_code', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['capability_code'], ['capability.code'], name=op.f('fk_supplier_capability_capability_code_capability')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_supplier_capability_supplier_id_supplier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('supplier_id', 'capability_code', name=op.f('pk_supplier_capability'))
    )
    with op.batch_alter_table('supplier_capability', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_capability_code', ['capability_code', 'supplier_id'], unique=False)

    op.create_table('supplier_certification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('standard_code', sa.String(length=64), nullable=False),
    sa.Column('certificate_number', sa.String(length=100), nullable=True),
    sa.Column('issuer', sa.String(length=200), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('scope', sa.String(length=1000), nullable=True),
    sa.Column('verification', sa.String(length=24), nullable=False),
    sa.CheckConstraint('expires_on IS NULL OR issued_on IS NULL OR expires_on > issued_on', name=op.f('ck_supplier_certification_expires_after_issued')),
    sa.ForeignKeyConstraint(['standard_code'], ['certification_standard.code'], name=op.f('fk_supplier_certification_standard_code_certification_standard')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_supplier_certification_supplier_id_supplier'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_certification'))
    )
    with op.batch_alter_table('supplier_certification', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_certification_validity', ['standard_code', 'status', 'expires_on', 'issued_on', 'verification', 'supplier_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_supplier_certification_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('supplier_supply_chain',
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('supply_chain_code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_supplier_supply_chain_supplier_id_supplier'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['supply_chain_code'], ['supply_chain.code'], name=op.f('fk_supplier_supply_chain_supply_chain_code_supply_chain')),
    sa.PrimaryKeyConstraint('supplier_id', 'supply_chain_code', name=op.f('pk_supplier_supply_chain'))
    )
    with op.batch_alter_table('supplier_supply_chain', schema=None) as batch_op:
        batch_op.create_index('ix_supplier_supply_chain_code', ['supply_chain_code', 'supplier_id'], unique=False)

    # ### end Alembic commands ###
    _seed_catalogues()


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table('supplier_supply_chain', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_supply_chain_code')

    op.drop_table('supplier_supply_chain')
    with op.batch_alter_table('supplier_certification', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supplier_certification_supplier_id'))
        batch_op.drop_index('ix_supplier_certification_validity')

    op.drop_table('supplier_certification')
    with op.batch_alter_table('supplier_capability', schema=None) as batch_op:
        batch_op.drop_index('ix_supplier_capability_code')

    op.drop_table('supplier_capability')
    with op.batch_alter_table('api_key', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_key_supplier_id'))

    op.drop_table('api_key')
    op.drop_table('supply_chain')
    with op.batch_alter_table('supplier', schema=None) as batch_op:
        batch_op.drop_index('uq_supplier_vat_number_live', sqlite_where=sa.text('deleted_at IS NULL'), postgresql_where=sa.text('deleted_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_supplier_updated_at'))
        batch_op.drop_index(batch_op.f('ix_supplier_province'))
        batch_op.drop_index(batch_op.f('ix_supplier_name'))
        batch_op.drop_index(batch_op.f('ix_supplier_deleted_at'))

    op.drop_table('supplier')
    op.drop_table('certification_standard')
    with op.batch_alter_table('capability', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_capability_parent'))

    op.drop_table('capability')
    # ### end Alembic commands ###

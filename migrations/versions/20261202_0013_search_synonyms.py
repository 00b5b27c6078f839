"""Search synonyms: the `search_synonym` table and the initial glossary of the trade.

Each row is one equivalence group: any of its terms stands for any other when the search
engine expands a query (`app.search.synonyms.load_synonyms` reads them, ordered by id). Terms
may be phrases and are stored as written; case and accents are the engine's business.

`GLOSSARY` is what a buyer of the cluster's three chains (rotary wing, fixed wing, space)
types, in Italian and English: acronyms with their expansions (NDT/CND/PnD, MRO, AM, EDM, CNC,
PCB, CFD, MLI, FEM/FEA, UAV/APR, AIT/AIV, GSE, FAI, PPAP, LRU, ATE, OBC...), the special
processes, materials, parts and systems, and the certification schemes. Each group holds only
terms a buyer would accept as the same thing: a narrower process gets a group of its own
(LPBF, DED and polymer printing each apart from "AM", TIG welding apart from welding; the
capability labels the search reads name the broader parent too). Acronyms that mean something
else in a supplier's Italian or English text are left out: `AI` is Italian for "to the",
`PT`/`UT`/`RT` are too short to be safe, `SAR` is both search and rescue and synthetic
aperture radar, `ILS` both logistic support and a landing system, `EO` also electro-optical.
No term appears in two groups, so an expansion never chains into a third meaning.

The list is embedded here so this revision never changes. Later glossary changes are new
revisions, or admin edits through `/api/v1/synonyms` (no release needed); a downgrade drops
the table with whatever admins added.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC_TIME = sa.DateTime(timezone=True)

# (terms, note). Inserted in this order, so ids follow it.
GLOSSARY: list[tuple[list[str], str | None]] = [
    # ---------------------------------------------------------- non-destructive testing
    (
        [
            "NDT",
            "NDI",
            "NDE",
            "CND",
            "PnD",
            "controlli non distruttivi",
            "controllo non distruttivo",
            "prove non distruttive",
            "non-destructive testing",
            "nondestructive testing",
            "non-destructive inspection",
            "non-destructive evaluation",
        ],
        "NDT methods have groups of their own.",
    ),
    (
        [
            "penetrant inspection",
            "penetrant testing",
            "liquid penetrant",
            "dye penetrant",
            "fluorescent penetrant inspection",
            "FPI",
            "liquidi penetranti",
            "controllo con liquidi penetranti",
            "penetranti fluorescenti",
        ],
        None,
    ),
    (
        [
            "magnetic particle inspection",
            "magnetic particle testing",
            "MPI",
            "magnetoscopia",
            "controllo magnetoscopico",
            "particelle magnetiche",
        ],
        None,
    ),
    (
        [
            "ultrasonic inspection",
            "ultrasonic testing",
            "ultrasonics",
            "ultrasuoni",
            "controllo a ultrasuoni",
            "controllo ultrasonoro",
        ],
        None,
    ),
    (
        [
            "radiography",
            "radiographic inspection",
            "radiographic testing",
            "X-ray inspection",
            "radiografia",
            "controllo radiografico",
            "radiografia industriale",
        ],
        None,
    ),
    (
        [
            "eddy current",
            "eddy current testing",
            "eddy current inspection",
            "correnti indotte",
            "correnti parassite",
            "controllo a correnti indotte",
        ],
        None,
    ),
    (
        [
            "computed tomography",
            "industrial CT",
            "X-ray CT",
            "tomografia computerizzata",
            "tomografia industriale",
        ],
        None,
    ),
    (["thermography", "infrared thermography", "termografia", "termografia a infrarossi"], None),
    (["visual inspection", "ispezione visiva", "controllo visivo"], None),
    # ---------------------------------------------------------- maintenance and support
    (
        [
            "MRO",
            "maintenance repair overhaul",
            "maintenance, repair and overhaul",
            "manutenzione, riparazione e revisione",
            "maintenance",
            "manutenzione",
            "overhaul",
            "revisione",
            "revisione generale",
        ],
        None,
    ),
    (["repair", "repairs", "riparazione", "riparazioni"], None),
    (
        [
            "helicopter maintenance",
            "rotorcraft maintenance",
            "manutenzione di elicotteri",
            "manutenzione elicotteri",
        ],
        None,
    ),
    (
        [
            "component overhaul",
            "component repair",
            "revisione di componenti",
            "revisione componenti",
            "riparazione componenti",
        ],
        None,
    ),
    (["AOG", "aircraft on ground", "AOG support", "supporto AOG"], None),
    (["airworthiness", "aeronavigabilità"], None),
    (["spare parts", "spares", "ricambi", "parti di ricambio"], None),
    (
        [
            "technical publications",
            "technical documentation",
            "technical manuals",
            "pubblicazioni tecniche",
            "documentazione tecnica",
            "manuali tecnici",
            "S1000D",
        ],
        None,
    ),
    # ---------------------------------------------------------- additive manufacturing
    (
        [
            "AM",
            "additive manufacturing",
            "manifattura additiva",
            "fabbricazione additiva",
            "produzione additiva",
            "3D printing",
            "3D printed",
            "stampa 3D",
            "stampa tridimensionale",
        ],
        "LPBF, DED and polymer printing have groups of their own.",
    ),
    (
        [
            "LPBF",
            "L-PBF",
            "PBF-LB",
            "laser powder bed fusion",
            "metal laser powder bed fusion",
            "fusione laser a letto di polvere",
            "fusione laser a letto di polvere metallica",
            "SLM",
            "selective laser melting",
            "DMLS",
            "direct metal laser sintering",
        ],
        "SLM and DMLS are trade names of the same metal process.",
    ),
    (
        [
            "DED",
            "directed energy deposition",
            "deposizione diretta di energia",
            "deposizione a energia diretta",
            "LMD",
            "laser metal deposition",
        ],
        None,
    ),
    (
        [
            "polymer 3D printing",
            "stampa 3D di polimeri",
            "stampa 3D polimerica",
            "polymer additive manufacturing",
            "manifattura additiva polimerica",
        ],
        None,
    ),
    (["HIP", "hot isostatic pressing", "pressatura isostatica a caldo"], None),
    # ---------------------------------------------------------- machining
    (
        [
            "machining",
            "machined parts",
            "machine shop",
            "lavorazioni meccaniche",
            "lavorazione meccanica",
            "asportazione di truciolo",
            "officina meccanica",
        ],
        None,
    ),
    (
        [
            "CNC",
            "computer numerical control",
            "controllo numerico",
            "controllo numerico computerizzato",
        ],
        None,
    ),
    (["milling", "fresatura", "fresature"], None),
    (
        [
            "5-axis milling",
            "five-axis milling",
            "5-axis machining",
            "fresatura a 5 assi",
            "fresatura a cinque assi",
            "lavorazione a 5 assi",
        ],
        None,
    ),
    (["turning", "tornitura", "torniture"], None),
    (["grinding", "rettifica", "rettifiche", "rettificatura"], None),
    (["drilling", "foratura"], None),
    (["gear cutting", "gear hobbing", "dentatura", "taglio ingranaggi"], None),
    (["gears", "gear", "ingranaggi", "ingranaggio"], None),
    (
        [
            "EDM",
            "electrical discharge machining",
            "electro-discharge machining",
            "spark erosion",
            "elettroerosione",
        ],
        None,
    ),
    (
        [
            "large part machining",
            "large parts machining",
            "lavorazione di grandi particolari",
            "grandi particolari",
        ],
        None,
    ),
    (
        [
            "precision mechanics",
            "precision mechanical parts",
            "meccanica di precisione",
            "particolari meccanici di precisione",
        ],
        None,
    ),
    (["chemical milling", "chem milling", "fresatura chimica"], None),
    (["laser cutting", "taglio laser"], None),
    # ---------------------------------------------------------- materials
    (
        ["titanium", "titanio", "titanium alloys", "leghe di titanio", "Ti-6Al-4V", "Ti6Al4V"],
        None,
    ),
    (
        [
            "aluminium",
            "aluminum",
            "alluminio",
            "aluminium alloys",
            "aluminum alloys",
            "leghe di alluminio",
            "leghe leggere",
        ],
        None,
    ),
    (["steel", "steels", "acciaio", "acciai"], None),
    (
        ["stainless steel", "acciaio inox", "acciaio inossidabile", "acciai inossidabili", "inox"],
        None,
    ),
    (
        [
            "nickel superalloys",
            "nickel-based superalloys",
            "superalloys",
            "superleghe",
            "superleghe di nichel",
            "Inconel",
        ],
        None,
    ),
    (["magnesium", "magnesio", "magnesium alloys", "leghe di magnesio"], None),
    (
        [
            "composites",
            "composite",
            "composite materials",
            "compositi",
            "composito",
            "materiali compositi",
            "carbon fibre",
            "carbon fiber",
            "fibra di carbonio",
            "CFRP",
            "carbon fibre reinforced polymer",
            "carbon fiber reinforced plastic",
        ],
        "Aerospace composites are carbon fibre for a buyer; glass fibre has its own group.",
    ),
    (["GFRP", "glass fibre", "glass fiber", "fiberglass", "fibra di vetro", "vetroresina"], None),
    # ---------------------------------------------------------- composites processes
    (["prepreg", "prepregs", "pre-preg", "preimpregnati", "preimpregnato"], None),
    (
        [
            "prepreg lay-up",
            "prepreg layup",
            "lay-up",
            "layup",
            "laminazione di preimpregnati",
            "laminazione compositi",
        ],
        None,
    ),
    (
        ["autoclave curing", "autoclave", "polimerizzazione in autoclave", "cura in autoclave"],
        None,
    ),
    (
        [
            "RTM",
            "resin transfer moulding",
            "resin transfer molding",
            "stampaggio RTM",
            "stampaggio a trasferimento di resina",
        ],
        None,
    ),
    (["filament winding", "filament wound", "avvolgimento filamentare"], None),
    (
        ["honeycomb", "honeycomb core", "honeycomb panels", "nido d'ape", "pannelli a nido d'ape"],
        None,
    ),
    (["sandwich panels", "sandwich structures", "pannelli sandwich", "strutture sandwich"], None),
    # ---------------------------------------------------------- forming, casting, forging
    (
        [
            "sheet metal",
            "sheet metal work",
            "sheet metal fabrication",
            "lamiera",
            "lamiere",
            "lavorazione lamiera",
            "carpenteria leggera",
        ],
        None,
    ),
    (
        [
            "sheet metal forming",
            "metal forming",
            "formatura lamiera",
            "formatura della lamiera",
            "formatura",
        ],
        None,
    ),
    (["bending", "press brake bending", "piegatura", "pressopiegatura"], None),
    (
        [
            "casting",
            "castings",
            "foundry",
            "fusione",
            "fusioni",
            "getti",
            "getti di fusione",
            "fonderia",
        ],
        None,
    ),
    (
        [
            "investment casting",
            "lost wax casting",
            "precision casting",
            "microfusione",
            "microfusioni",
            "fusione a cera persa",
        ],
        None,
    ),
    (
        [
            "forging",
            "forgings",
            "hot forging",
            "forgiatura",
            "fucinatura",
            "forgiati",
            "stampaggio a caldo",
        ],
        None,
    ),
    # ---------------------------------------------------------- joining
    (["welding", "welds", "saldatura", "saldature"], "TIG welding has a group of its own."),
    (["TIG welding", "GTAW", "gas tungsten arc welding", "saldatura TIG"], None),
    (["brazing", "brasatura", "brasatura forte"], None),
    (["riveting", "rivettatura", "chiodatura"], None),
    (
        [
            "adhesive bonding",
            "structural bonding",
            "bonding",
            "incollaggio",
            "incollaggio strutturale",
        ],
        None,
    ),
    (
        ["fasteners", "fastener", "elementi di fissaggio", "bulloneria", "viteria", "minuteria"],
        None,
    ),
    (
        [
            "sealing",
            "sealant",
            "sealants",
            "sealant application",
            "sigillatura",
            "sigillanti",
            "applicazione sigillanti",
        ],
        "Applying sealants; seals (the parts) are another group.",
    ),
    (["seals", "guarnizioni", "tenute"], None),
    # ---------------------------------------------------------- surface and heat treatment
    (
        [
            "surface treatment",
            "surface treatments",
            "surface finishing",
            "trattamenti superficiali",
            "trattamento superficiale",
            "trattamenti di superficie",
            "finitura superficiale",
        ],
        None,
    ),
    (
        [
            "anodizing",
            "anodising",
            "anodization",
            "anodic oxidation",
            "anodizzazione",
            "ossidazione anodica",
        ],
        None,
    ),
    (["hard anodizing", "hard anodising", "anodizzazione dura", "ossidazione anodica dura"], None),
    (
        [
            "chemical conversion coating",
            "conversion coating",
            "chromate conversion",
            "Alodine",
            "Iridite",
            "conversione chimica",
            "cromatazione",
        ],
        None,
    ),
    (["passivation", "passivazione"], None),
    (
        [
            "painting",
            "aerospace painting",
            "spray painting",
            "verniciatura",
            "verniciature",
            "verniciatura aeronautica",
            "verniciatura a spruzzo",
        ],
        None,
    ),
    (
        [
            "plating",
            "electroplating",
            "galvanica",
            "galvanotecnica",
            "trattamenti galvanici",
            "rivestimenti galvanici",
            "deposizione elettrolitica",
        ],
        None,
    ),
    (["coating", "coatings", "rivestimento", "rivestimenti"], None),
    (["thermal spray", "thermal spraying", "spruzzatura termica", "termospruzzatura"], None),
    (
        [
            "shot peening",
            "controlled shot peening",
            "pallinatura",
            "pallinatura controllata",
        ],
        None,
    ),
    (["sandblasting", "grit blasting", "abrasive blasting", "sabbiatura"], None),
    (["cleaning", "parts cleaning", "pulizia", "lavaggio", "lavaggio industriale"], None),
    (
        [
            "contamination control",
            "precision cleaning",
            "controllo della contaminazione",
            "pulizia di precisione",
        ],
        None,
    ),
    (
        [
            "heat treatment",
            "heat treatments",
            "heat treating",
            "trattamento termico",
            "trattamenti termici",
        ],
        None,
    ),
    # ---------------------------------------------------------- tooling and assembly
    (["tooling", "production tooling", "attrezzature", "attrezzature di produzione"], None),
    (
        [
            "jigs and fixtures",
            "assembly jigs",
            "fixtures",
            "maschere di montaggio",
            "dime di montaggio",
        ],
        None,
    ),
    (["assembly", "assemblies", "assemblaggio", "assemblaggi", "montaggio"], None),
    (["mechanical assembly", "assemblaggio meccanico", "montaggio meccanico"], None),
    (
        [
            "aerostructures",
            "aerostructure",
            "airframe",
            "airframe structures",
            "aerostrutture",
            "aerostruttura",
            "strutture aeronautiche",
        ],
        None,
    ),
    (["fuselage", "fuselages", "fusoliera", "fusoliere"], None),
    (
        [
            "cabin interiors",
            "aircraft interiors",
            "interiors",
            "allestimento interni",
            "interni cabina",
        ],
        None,
    ),
    (
        [
            "AIT",
            "AIV",
            "assembly integration and test",
            "assembly, integration and test",
            "assembly integration and verification",
            "assemblaggio integrazione e test",
            "assemblaggio, integrazione e collaudo",
            "integrazione e test",
        ],
        None,
    ),
    (
        [
            "clean room",
            "cleanroom",
            "clean-room",
            "clean rooms",
            "camera bianca",
            "camere bianche",
            "camera pulita",
        ],
        None,
    ),
    # ---------------------------------------------------------- testing
    (["testing", "tests", "test", "prove", "prova", "prove e collaudi"], None),
    (["inspection", "inspections", "ispezione", "ispezioni", "collaudo", "collaudi"], None),
    (
        [
            "acceptance testing",
            "acceptance test",
            "ATP",
            "acceptance test procedure",
            "prove di accettazione",
            "collaudo di accettazione",
        ],
        None,
    ),
    (
        [
            "environmental testing",
            "environmental tests",
            "environmental qualification",
            "prove ambientali",
            "qualifica ambientale",
        ],
        None,
    ),
    (["vibration testing", "vibration test", "prove di vibrazione", "prove vibrazionali"], None),
    (
        [
            "thermal vacuum",
            "thermal vacuum testing",
            "thermal vacuum chamber",
            "TVAC",
            "termovuoto",
            "prove di termovuoto",
            "prove in termovuoto",
            "camera termovuoto",
        ],
        None,
    ),
    (
        [
            "EMC",
            "electromagnetic compatibility",
            "compatibilità elettromagnetica",
            "EMI",
            "electromagnetic interference",
            "interferenze elettromagnetiche",
        ],
        None,
    ),
    (
        [
            "materials testing",
            "material testing",
            "prove sui materiali",
            "prove materiali",
        ],
        None,
    ),
    (
        [
            "ATE",
            "automatic test equipment",
            "automated test equipment",
            "banco di collaudo automatico",
            "banchi di collaudo automatici",
        ],
        None,
    ),
    (
        ["test bench", "test benches", "test rig", "banco prova", "banchi prova", "banco di prova"],
        None,
    ),
    # ---------------------------------------------------------- quality and metrology
    (["quality", "qualità"], None),
    (
        [
            "quality management system",
            "QMS",
            "sistema di gestione qualità",
            "sistema di gestione per la qualità",
            "sistema qualità",
        ],
        None,
    ),
    (["quality control", "QC", "controllo qualità", "controllo della qualità"], None),
    (["quality assurance", "QA", "assicurazione qualità", "garanzia della qualità"], None),
    (["calibration", "calibrations", "taratura", "tarature", "calibrazione", "calibrazioni"], None),
    (["metrology", "metrologia"], None),
    (
        [
            "dimensional inspection",
            "dimensional measurement",
            "measurement and inspection",
            "controllo dimensionale",
            "collaudo dimensionale",
            "misure dimensionali",
        ],
        None,
    ),
    (
        [
            "CMM",
            "coordinate measuring machine",
            "coordinate measurement machine",
            "macchina di misura a coordinate",
            "macchine di misura a coordinate",
            "macchina di misura tridimensionale",
        ],
        None,
    ),
    (
        [
            "FAI",
            "first article inspection",
            "first article",
            "primo articolo",
            "ispezione primo articolo",
            "AS9102",
            "EN 9102",
        ],
        None,
    ),
    (
        [
            "PPAP",
            "production part approval process",
            "processo di approvazione delle parti di produzione",
        ],
        None,
    ),
    (
        [
            "FMEA",
            "FMECA",
            "failure mode and effects analysis",
            "analisi dei modi di guasto e dei loro effetti",
        ],
        None,
    ),
    (["lean manufacturing", "lean production", "produzione snella", "lean"], None),
    (
        [
            "KPI",
            "key performance indicators",
            "indicatori di prestazione",
            "indicatori chiave di prestazione",
        ],
        None,
    ),
    # ---------------------------------------------------------- certifications and standards
    (["certification", "certifications", "certificazione", "certificazioni"], None),
    (
        [
            "EN 9100",
            "EN9100",
            "UNI EN 9100",
            "AS9100",
            "AS 9100",
            "JISQ 9100",
            "JIS Q 9100",
        ],
        "The same aerospace QMS standard (Europe, America, Asia).",
    ),
    (["EN 9110", "EN9110", "AS9110", "AS 9110"], None),
    (["EN 9120", "EN9120", "AS9120", "AS 9120"], None),
    (
        [
            "Nadcap",
            "National Aerospace and Defense Contractors Accreditation Program",
            "accreditamento Nadcap",
        ],
        None,
    ),
    (
        [
            "EASA Part 145",
            "EASA Part-145",
            "Part 145",
            "Part-145",
            "Parte 145",
            "approved maintenance organisation",
            "impresa di manutenzione approvata",
        ],
        None,
    ),
    (
        ["EASA Part 21", "Part 21", "Part-21", "Parte 21"],
        "Subparts G and J have groups of their own.",
    ),
    (
        [
            "Part 21G",
            "Part 21 G",
            "Part 21 Subpart G",
            "POA",
            "production organisation approval",
            "approvazione dell'organizzazione di produzione",
        ],
        None,
    ),
    (
        [
            "Part 21J",
            "Part 21 J",
            "Part 21 Subpart J",
            "DOA",
            "design organisation approval",
            "approvazione dell'organizzazione di progettazione",
        ],
        None,
    ),
    (["ISO 9001", "ISO9001", "UNI EN ISO 9001"], None),
    (["ISO 14001", "ISO14001", "UNI EN ISO 14001"], None),
    (["ISO 45001", "ISO45001", "OHSAS 18001"], "OHSAS 18001 was replaced by ISO 45001."),
    (["AQAP 2110", "AQAP-2110", "AQAP2110"], None),
    (["DO-178C", "DO-178", "DO178C", "DO 178C", "ED-12C"], "ED-12C is the EUROCAE twin."),
    (["DO-254", "DO254", "ED-80"], "ED-80 is the EUROCAE twin."),
    (["DO-160", "DO160", "ED-14"], "ED-14 is the EUROCAE twin."),
    (["ECSS", "European Cooperation for Space Standardization"], None),
    # ---------------------------------------------------------- sectors and vehicles
    (["aerospace", "aerospaziale", "aerospazio"], None),
    (["aeronautics", "aeronautical", "aviation", "aeronautica", "aeronautico", "aviazione"], None),
    (["defence", "defense", "difesa"], None),
    (
        [
            "helicopter",
            "helicopters",
            "rotorcraft",
            "rotary wing",
            "rotary-wing",
            "elicottero",
            "elicotteri",
            "ala rotante",
            "elicotteristico",
            "elicotteristica",
        ],
        None,
    ),
    (
        [
            "aircraft",
            "airplane",
            "aeroplane",
            "velivolo",
            "velivoli",
            "aereo",
            "aerei",
            "aeromobile",
            "aeromobili",
        ],
        None,
    ),
    (["fixed wing", "fixed-wing", "ala fissa"], None),
    (
        [
            "trainer aircraft",
            "jet trainer",
            "velivolo da addestramento",
            "aerei da addestramento",
            "addestratore",
        ],
        None,
    ),
    (
        [
            "UAV",
            "UAS",
            "RPAS",
            "drone",
            "droni",
            "APR",
            "SAPR",
            "unmanned aerial vehicle",
            "unmanned aircraft system",
            "remotely piloted aircraft",
            "aeromobile a pilotaggio remoto",
        ],
        None,
    ),
    (["space", "space sector", "spazio", "spaziale", "settore spaziale"], None),
    (
        [
            "satellite",
            "satellites",
            "spacecraft",
            "satellitare",
            "satellitari",
            "satelliti",
            "veicolo spaziale",
        ],
        None,
    ),
    (["launcher", "launchers", "launch vehicle", "lanciatore", "lanciatori"], None),
    (["payload", "payloads", "carico utile", "carichi utili"], None),
    (["ground segment", "segmento di terra", "segmento terrestre"], None),
    (
        ["Earth observation", "remote sensing", "osservazione della Terra", "telerilevamento"],
        "EO is left out: it is also electro-optical.",
    ),
    (["SATCOM", "satellite communications", "comunicazioni satellitari"], None),
    # ---------------------------------------------------------- systems and equipment
    (
        [
            "GSE",
            "ground support equipment",
            "attrezzature di supporto a terra",
            "equipaggiamenti di supporto a terra",
        ],
        "MGSE and EGSE have groups of their own.",
    ),
    (["MGSE", "mechanical ground support equipment"], None),
    (["EGSE", "electrical ground support equipment", "electronic ground support equipment"], None),
    (
        [
            "OBC",
            "on-board computer",
            "onboard computer",
            "computer di bordo",
            "OBDH",
            "on-board data handling",
        ],
        None,
    ),
    (
        [
            "AOCS",
            "ADCS",
            "attitude and orbit control system",
            "attitude determination and control",
            "controllo di assetto e orbita",
            "controllo d'assetto",
        ],
        None,
    ),
    (
        [
            "solar array",
            "solar arrays",
            "solar panels",
            "pannelli solari",
            "pannello solare",
            "generatore solare",
        ],
        None,
    ),
    (
        [
            "propulsion",
            "propulsion systems",
            "propulsione",
            "sistemi propulsivi",
            "sistema propulsivo",
        ],
        None,
    ),
    (
        [
            "aero engine",
            "aero-engine",
            "aeroengine",
            "aircraft engine",
            "motore aeronautico",
            "motori aeronautici",
        ],
        None,
    ),
    (
        [
            "thermal control",
            "thermal control system",
            "thermal management",
            "controllo termico",
            "sistema di controllo termico",
            "gestione termica",
        ],
        None,
    ),
    (
        [
            "MLI",
            "multi-layer insulation",
            "multilayer insulation",
            "isolamento multistrato",
            "thermal blankets",
            "coperte termiche",
        ],
        None,
    ),
    (
        [
            "optics",
            "optical",
            "optical components",
            "optical systems",
            "ottica",
            "ottiche",
            "componenti ottici",
            "sistemi ottici",
        ],
        None,
    ),
    (["sensors", "sensor", "sensori", "sensore", "sensoristica"], None),
    (["antenna", "antennas", "antenne", "antenna systems", "sistemi d'antenna"], None),
    (
        [
            "RF",
            "radio frequency",
            "radiofrequency",
            "radiofrequenza",
            "microwave",
            "microwaves",
            "microonde",
            "RF and microwave",
            "radiofrequenza e microonde",
        ],
        None,
    ),
    (["radar", "radars", "radar systems", "sistemi radar"], None),
    (["avionics", "avionic systems", "avionica", "sistemi avionici", "avionico"], None),
    (
        [
            "flight control",
            "flight control systems",
            "controllo del volo",
            "sistemi di controllo del volo",
            "comandi di volo",
        ],
        None,
    ),
    (["navigation", "navigation systems", "navigazione", "sistemi di navigazione"], None),
    (
        [
            "cockpit displays",
            "cockpit display",
            "display di cabina di pilotaggio",
            "display di cabina",
        ],
        None,
    ),
    (
        [
            "LRU",
            "line replaceable unit",
            "line-replaceable unit",
            "unità sostituibile in linea",
            "unità sostituibili in linea",
        ],
        None,
    ),
    (
        [
            "electronics",
            "electronic",
            "electronic equipment",
            "elettronica",
            "elettronico",
            "elettroniche",
            "apparati elettronici",
        ],
        None,
    ),
    (["power electronics", "elettronica di potenza"], None),
    (
        [
            "PCB",
            "PCBs",
            "printed circuit board",
            "printed circuit boards",
            "circuiti stampati",
            "circuito stampato",
        ],
        "Bare boards; assembled boards are PCBA.",
    ),
    (
        [
            "PCBA",
            "PCB assembly",
            "printed circuit board assembly",
            "assemblaggio di schede elettroniche",
            "assemblaggio schede elettroniche",
            "montaggio schede elettroniche",
        ],
        None,
    ),
    (
        [
            "wire harness",
            "wire harnesses",
            "wiring harness",
            "cable harness",
            "harness",
            "harnesses",
            "cablaggio",
            "cablaggi",
            "cablaggio elettrico",
            "cablaggi elettrici",
        ],
        None,
    ),
    (
        [
            "hydraulics",
            "hydraulic",
            "hydraulic systems",
            "idraulica",
            "idraulico",
            "sistemi idraulici",
            "impianti idraulici",
            "oleodinamica",
        ],
        None,
    ),
    (["actuators", "actuator", "attuatori", "attuatore"], None),
    (
        [
            "gearbox",
            "gearboxes",
            "transmission",
            "transmissions",
            "trasmissione",
            "trasmissioni",
            "riduttore",
            "riduttori",
        ],
        None,
    ),
    (["rotor", "rotors", "rotore", "rotori"], None),
    (
        [
            "rotor blade",
            "rotor blades",
            "pala",
            "pale",
            "pala del rotore",
            "pale del rotore",
            "pale rotore",
        ],
        None,
    ),
    (
        [
            "landing gear",
            "landing gears",
            "undercarriage",
            "carrello",
            "carrello di atterraggio",
            "carrelli di atterraggio",
            "carrello d'atterraggio",
        ],
        None,
    ),
    # ---------------------------------------------------------- engineering and software
    (["engineering", "engineering services", "ingegneria", "servizi di ingegneria"], None),
    (["design", "design engineering", "progettazione"], None),
    (
        [
            "stress analysis",
            "structural analysis",
            "stress engineering",
            "calcolo strutturale",
            "calcoli strutturali",
            "analisi strutturale",
        ],
        None,
    ),
    (
        [
            "FEM",
            "FEA",
            "finite element analysis",
            "finite element method",
            "analisi agli elementi finiti",
            "metodo degli elementi finiti",
            "elementi finiti",
        ],
        None,
    ),
    (
        [
            "CFD",
            "computational fluid dynamics",
            "fluidodinamica computazionale",
            "simulazione fluidodinamica",
            "analisi fluidodinamica",
        ],
        None,
    ),
    (
        [
            "CAD",
            "computer-aided design",
            "computer aided design",
            "progettazione assistita dal calcolatore",
            "disegno assistito dal calcolatore",
        ],
        None,
    ),
    (
        [
            "CAM",
            "computer-aided manufacturing",
            "computer aided manufacturing",
            "fabbricazione assistita dal calcolatore",
            "programmazione CAM",
        ],
        None,
    ),
    (["PLM", "product lifecycle management", "gestione del ciclo di vita del prodotto"], None),
    (["certification support", "certification engineering", "supporto alla certificazione"], None),
    (
        [
            "embedded software",
            "software embedded",
            "firmware",
            "on-board software",
            "software di bordo",
        ],
        None,
    ),
    (
        [
            "safety-critical software",
            "safety critical software",
            "software critico per la sicurezza",
        ],
        None,
    ),
    (["simulation", "simulations", "simulazione", "simulazioni"], None),
    (
        [
            "flight simulator",
            "flight simulators",
            "full flight simulator",
            "FFS",
            "simulatore di volo",
            "simulatori di volo",
        ],
        None,
    ),
    (["training", "training courses", "addestramento", "formazione", "corsi di formazione"], None),
    # ---------------------------------------------------------- ways of working
    (
        [
            "prototype",
            "prototypes",
            "prototyping",
            "rapid prototyping",
            "prototipo",
            "prototipi",
            "prototipazione",
            "prototipazione rapida",
        ],
        None,
    ),
    (
        ["build to print", "build-to-print", "costruzione su disegno", "su disegno del cliente"],
        None,
    ),
]


def upgrade() -> None:
    table = op.create_table(
        "search_synonym",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=True),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("updated_at", UTC_TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_synonym")),
    )
    now = datetime.now(UTC)
    # No ids given, one row at a time: the database numbers the rows in list order, and
    # PostgreSQL's sequence stays ahead of them for the groups admins add later.
    op.bulk_insert(
        table,
        [
            {"terms": terms, "note": note, "created_at": now, "updated_at": now}
            for terms, note in GLOSSARY
        ],
        multiinsert=False,
    )


def downgrade() -> None:
    op.drop_table("search_synonym")

"""Deterministic demo data shaped like the Lombardia Aerospace Cluster (`escouting seed-demo`).

The same seed, supplier count and day give the same rows: every draw comes from one
`random.Random(seed)` (VAT numbers from a second one derived from the seed) and catalogue codes
are read in a fixed order. Suppliers are appended after whatever the database holds, in batches
written by the shared supplier writer (`app.suppliers.writing`).
"""

import math
import multiprocessing
import re
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as dt_time
from itertools import accumulate, islice
from queue import Queue
from random import Random
from threading import Thread
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, Engine, func, select

from app.catalogue.models import Capability, CertificationStandard, SupplyChain
from app.db import SQLITE_WRITE_INTENT
from app.suppliers.models import Supplier
from app.suppliers.writing import SupplierWrite, refresh_statistics, write

BATCH_SIZE = 2_000
WRITERS = 2  # PostgreSQL connections writing at once
SQLITE_BATCHES_PER_TRANSACTION = 5  # the write lock is held for a few seconds at most
SQLITE_CACHE_KIB = 512 * 1024  # page cache of the SQLite connection while seeding
GENERATE_APART = 20_000  # from this many suppliers on, generated in a child process

SUPPLIER = Supplier.__table__


@dataclass(frozen=True)
class DemoSummary:
    """What `seed_demo` added, and how long it took."""

    suppliers: int
    employees: int
    seconds: float


def _words(text: str) -> tuple[str, ...]:
    """The space-separated words of `text` (keeps long word lists compact)."""
    return tuple(text.split())


# ---------------------------------------------------------------- geography

# (code, share of suppliers, Partita IVA office code, adjective m.sg, f.sg, m.pl, f.pl, place)
PROVINCES: tuple[tuple[str, float, str, tuple[str, str, str, str], str], ...] = (
    ("VA", 30.0, "012", ("Varesino", "Varesina", "Varesini", "Varesine"), "Varese"),
    ("MI", 25.0, "015", ("Milanese", "Milanese", "Milanesi", "Milanesi"), "Milano"),
    ("MB", 8.0, "015", ("Brianzolo", "Brianzola", "Brianzoli", "Brianzole"), "Brianza"),
    ("BG", 7.0, "016", ("Bergamasco", "Bergamasca", "Bergamaschi", "Bergamasche"), "Bergamo"),
    ("BS", 6.0, "017", ("Bresciano", "Bresciana", "Bresciani", "Bresciane"), "Brescia"),
    ("CO", 4.0, "013", ("Comasco", "Comasca", "Comaschi", "Comasche"), "Lario"),
    ("LC", 3.0, "097", ("Lecchese", "Lecchese", "Lecchesi", "Lecchesi"), "Lecco"),
    ("PV", 3.5, "018", ("Pavese", "Pavese", "Pavesi", "Pavesi"), "Ticino"),
    ("LO", 1.5, "098", ("Lodigiano", "Lodigiana", "Lodigiani", "Lodigiane"), "Lodi"),
    ("CR", 1.5, "019", ("Cremonese", "Cremonese", "Cremonesi", "Cremonesi"), "Cremona"),
    ("MN", 1.0, "020", ("Mantovano", "Mantovana", "Mantovani", "Mantovane"), "Mantova"),
    (
        "SO",
        0.5,
        "014",
        ("Valtellinese", "Valtellinese", "Valtellinesi", "Valtellinesi"),
        "Valtellina",
    ),
    ("TO", 4.0, "001", ("Torinese", "Torinese", "Torinesi", "Torinesi"), "Torino"),
    ("NO", 3.0, "003", ("Novarese", "Novarese", "Novaresi", "Novaresi"), "Novara"),
    ("PC", 2.0, "033", ("Piacentino", "Piacentina", "Piacentini", "Piacentine"), "Piacenza"),
)

# province -> (city, postal code or "first-last" range, lat, lon, telephone area code)
CITIES: dict[str, tuple[tuple[str, str, float, float, str], ...]] = {
    "VA": (
        ("Varese", "21100", 45.8206, 8.8251, "0332"),
        ("Gallarate", "21013", 45.6596, 8.7917, "0331"),
        ("Busto Arsizio", "21052", 45.6120, 8.8518, "0331"),
        ("Samarate", "21017", 45.6262, 8.7836, "0331"),
        ("Cardano al Campo", "21010", 45.6495, 8.7700, "0331"),
        ("Somma Lombardo", "21019", 45.6838, 8.7073, "0331"),
        ("Sesto Calende", "21018", 45.7262, 8.6327, "0331"),
        ("Vergiate", "21029", 45.7198, 8.6941, "0331"),
        ("Tradate", "21049", 45.7094, 8.9078, "0331"),
        ("Venegono Superiore", "21040", 45.7547, 8.8990, "0331"),
        ("Venegono Inferiore", "21040", 45.7367, 8.8987, "0331"),
        ("Castellanza", "21053", 45.6108, 8.8989, "0331"),
        ("Saronno", "21047", 45.6257, 9.0369, "02"),
        ("Malnate", "21046", 45.7931, 8.8845, "0332"),
        ("Cassano Magnago", "21012", 45.6740, 8.8236, "0331"),
        ("Ferno", "21010", 45.6137, 8.7571, "0331"),
        ("Lonate Pozzolo", "21015", 45.6006, 8.7513, "0331"),
        ("Olgiate Olona", "21057", 45.6331, 8.8893, "0331"),
        ("Caronno Pertusella", "21042", 45.5973, 9.0441, "02"),
        ("Luino", "21016", 46.0028, 8.7433, "0332"),
    ),
    "MI": (
        ("Milano", "20121-20162", 45.4642, 9.1900, "02"),
        ("Sesto San Giovanni", "20099", 45.5350, 9.2346, "02"),
        ("Cinisello Balsamo", "20092", 45.5554, 9.2175, "02"),
        ("Cologno Monzese", "20093", 45.5283, 9.2763, "02"),
        ("Legnano", "20025", 45.5973, 8.9149, "0331"),
        ("Rho", "20017", 45.5281, 9.0402, "02"),
        ("Paderno Dugnano", "20037", 45.5697, 9.1670, "02"),
        ("San Donato Milanese", "20097", 45.4103, 9.2681, "02"),
        ("Corsico", "20094", 45.4317, 9.1103, "02"),
        ("Abbiategrasso", "20081", 45.3980, 8.9180, "02"),
        ("Magenta", "20013", 45.4648, 8.8833, "02"),
        ("Parabiago", "20015", 45.5585, 8.9480, "0331"),
        ("Nerviano", "20014", 45.5556, 8.9783, "0331"),
        ("Cernusco sul Naviglio", "20063", 45.5252, 9.3326, "02"),
        ("Pioltello", "20096", 45.4983, 9.3264, "02"),
        ("Bollate", "20021", 45.5465, 9.1207, "02"),
        ("Castano Primo", "20022", 45.5521, 8.7740, "0331"),
        ("Cerro Maggiore", "20023", 45.5938, 8.9494, "0331"),
    ),
    "MB": (
        ("Monza", "20900", 45.5845, 9.2744, "039"),
        ("Vimercate", "20871", 45.6126, 9.3690, "039"),
        ("Agrate Brianza", "20864", 45.5762, 9.3520, "039"),
        ("Desio", "20832", 45.6186, 9.2069, "0362"),
        ("Seregno", "20831", 45.6502, 9.2050, "0362"),
        ("Lissone", "20851", 45.6133, 9.2439, "039"),
        ("Cesano Maderno", "20811", 45.6283, 9.1453, "0362"),
        ("Brugherio", "20861", 45.5514, 9.3013, "039"),
        ("Limbiate", "20812", 45.5969, 9.1297, "02"),
        ("Carate Brianza", "20841", 45.6763, 9.2372, "0362"),
        ("Arcore", "20862", 45.6271, 9.3220, "039"),
        ("Concorezzo", "20863", 45.5890, 9.3361, "039"),
    ),
    "BG": (
        ("Bergamo", "24121-24129", 45.6983, 9.6773, "035"),
        ("Dalmine", "24044", 45.6496, 9.6032, "035"),
        ("Treviglio", "24047", 45.5214, 9.5929, "0363"),
        ("Seriate", "24068", 45.6849, 9.7234, "035"),
        ("Stezzano", "24040", 45.6486, 9.6530, "035"),
        ("Brembate", "24041", 45.6047, 9.5542, "035"),
        ("Osio Sotto", "24046", 45.6305, 9.5952, "035"),
        ("Curno", "24035", 45.6914, 9.6140, "035"),
        ("Romano di Lombardia", "24058", 45.5189, 9.7527, "0363"),
        ("Zanica", "24050", 45.6394, 9.6850, "035"),
        ("Grassobbio", "24050", 45.6557, 9.7263, "035"),
    ),
    "BS": (
        ("Brescia", "25121-25136", 45.5416, 10.2118, "030"),
        ("Lumezzane", "25065", 45.6480, 10.2640, "030"),
        ("Rovato", "25038", 45.5650, 10.0030, "030"),
        ("Montichiari", "25018", 45.4154, 10.3939, "030"),
        ("Ghedi", "25016", 45.4017, 10.2776, "030"),
        ("Castenedolo", "25014", 45.4700, 10.2970, "030"),
        ("Rezzato", "25086", 45.5131, 10.3251, "030"),
        ("Chiari", "25032", 45.5371, 9.9290, "030"),
        ("Palazzolo sull'Oglio", "25036", 45.5964, 9.8858, "030"),
        ("Gardone Val Trompia", "25063", 45.6891, 10.1859, "030"),
    ),
    "CO": (
        ("Como", "22100", 45.8081, 9.0852, "031"),
        ("Cantù", "22063", 45.7389, 9.1296, "031"),
        ("Erba", "22036", 45.8109, 9.2247, "031"),
        ("Mariano Comense", "22066", 45.6953, 9.1806, "031"),
        ("Olgiate Comasco", "22077", 45.7849, 8.9658, "031"),
        ("Lomazzo", "22074", 45.6997, 9.0387, "02"),
        ("Fino Mornasco", "22073", 45.7446, 9.0453, "031"),
        ("Lurate Caccivio", "22075", 45.7680, 9.0010, "031"),
    ),
    "LC": (
        ("Lecco", "23900", 45.8566, 9.3977, "0341"),
        ("Merate", "23807", 45.6970, 9.4197, "039"),
        ("Calolziocorte", "23801", 45.8017, 9.4325, "0341"),
        ("Valmadrera", "23868", 45.8466, 9.3580, "0341"),
        ("Oggiono", "23848", 45.7904, 9.3466, "0341"),
        ("Casatenovo", "23880", 45.6981, 9.3122, "039"),
        ("Mandello del Lario", "23826", 45.9158, 9.3177, "0341"),
    ),
    "PV": (
        ("Pavia", "27100", 45.1847, 9.1582, "0382"),
        ("Vigevano", "27029", 45.3176, 8.8566, "0381"),
        ("Voghera", "27058", 44.9923, 9.0093, "0383"),
        ("Mortara", "27036", 45.2503, 8.7360, "0384"),
        ("Stradella", "27049", 45.0757, 9.3000, "0385"),
    ),
    "LO": (
        ("Lodi", "26900", 45.3142, 9.5035, "0371"),
        ("Codogno", "26845", 45.1600, 9.7050, "0377"),
        ("Casalpusterlengo", "26841", 45.1780, 9.6510, "0377"),
        ("Sant'Angelo Lodigiano", "26866", 45.2384, 9.4068, "0371"),
    ),
    "CR": (
        ("Cremona", "26100", 45.1333, 10.0227, "0372"),
        ("Crema", "26013", 45.3625, 9.6847, "0373"),
        ("Casalmaggiore", "26041", 44.9884, 10.4178, "0375"),
        ("Soresina", "26015", 45.2876, 9.8571, "0374"),
    ),
    "MN": (
        ("Mantova", "46100", 45.1564, 10.7914, "0376"),
        ("Castiglione delle Stiviere", "46043", 45.3903, 10.4870, "0376"),
        ("Suzzara", "46029", 44.9923, 10.7450, "0376"),
        ("Porto Mantovano", "46047", 45.1916, 10.7931, "0376"),
    ),
    "SO": (
        ("Sondrio", "23100", 46.1699, 9.8715, "0342"),
        ("Morbegno", "23017", 46.1366, 9.5682, "0342"),
        ("Chiavenna", "23022", 46.3196, 9.3983, "0343"),
    ),
    "TO": (
        ("Torino", "10121-10156", 45.0703, 7.6869, "011"),
        ("Caselle Torinese", "10072", 45.1780, 7.6470, "011"),
        ("Collegno", "10093", 45.0770, 7.5720, "011"),
        ("Rivoli", "10098", 45.0706, 7.5125, "011"),
        ("Settimo Torinese", "10036", 45.1375, 7.7717, "011"),
        ("Borgaro Torinese", "10071", 45.1497, 7.6579, "011"),
    ),
    "NO": (
        ("Novara", "28100", 45.4469, 8.6222, "0321"),
        ("Cameri", "28062", 45.5050, 8.6640, "0321"),
        ("Trecate", "28069", 45.4334, 8.7381, "0321"),
        ("Oleggio", "28047", 45.5966, 8.6374, "0321"),
        ("Galliate", "28066", 45.4781, 8.6964, "0321"),
        ("Borgomanero", "28021", 45.6986, 8.4624, "0322"),
    ),
    "PC": (
        ("Piacenza", "29121-29122", 45.0526, 9.6930, "0523"),
        ("Castel San Giovanni", "29015", 45.0594, 9.4339, "0523"),
        ("Fiorenzuola d'Arda", "29017", 44.9267, 9.9130, "0523"),
    ),
}

STREETS = (
    "Via dell'Industria",
    "Via dell'Artigianato",
    "Via del Lavoro",
    "Via Enrico Fermi",
    "Via Alessandro Volta",
    "Via Guglielmo Marconi",
    "Via Galileo Galilei",
    "Via Leonardo da Vinci",
    "Via Giuseppe Garibaldi",
    "Via Giuseppe Mazzini",
    "Via Roma",
    "Via Milano",
    "Via Varese",
    "Via Sempione",
    "Viale Lombardia",
    "Via Giacomo Matteotti",
    "Via Piave",
    "Via Monte Rosa",
    "Via Gianni Caproni",
    "Via Francesco Baracca",
    "Via Umberto Nobile",
    "Via dell'Aeroporto",
    "Via delle Brughiere",
    "Via Antonio Meucci",
    "Via dei Mille",
    "Via Torino",
    "Viale Europa",
    "Via Cristoforo Colombo",
)

# ---------------------------------------------------------------- people and names

SURNAMES = _words(
    "Rossi Colombo Ferrari Bianchi Brambilla Galli Fumagalli Villa Sala Ferrario Cattaneo "
    "Pozzi Bassi Monti Riva Moretti Mauri Porta Crippa Gatti Longoni Mariani Marelli "
    "Parravicini Bernasconi Ronchi Zanetti Barbieri Fontana Conti Rinaldi Caimi Castelli "
    "Cozzi Sironi Tettamanti Vitali Negri Broggi Pessina Locatelli Gervasoni Belotti "
    "Bonomi Pedrali Zanardelli Gnutti Lombardi Bossi Frigerio Meroni Radaelli Redaelli "
    "Perego Mapelli Cazzaniga Pirola Vergani Tagliabue Arosio Ballabio Airoldi Scotti "
    "Sacchi Grassi Valsecchi Panzeri Corti Gerosa Testa Bettinelli Rota Carminati "
    "Cortinovis Ghisleni Piccinelli Bonetti Zani Tognoli Bertoli Facchinetti Maffeis "
    "Ravasio Guerini Invernizzi Manzoni Magni Lanzani Molteni Nava Rigamonti Spreafico "
    "Bonfanti Sormani Piatti Ceriani Zaffaroni Puricelli Castiglioni Cassani Bianchini "
    "Ferrazzi Borghi Valli Mazzucchelli Reguzzoni Crespi Ghiringhelli Bosetti Speroni "
    "Morandi Rimoldi Turconi Brusa Franzetti Ossola Zucchi Malnati Premoli Bertolotti "
    "Cavalleri Limonta Vismara Sangalli Baroni"
)
FIRST_NAMES = _words(
    "Marco Luca Giuseppe Paolo Andrea Francesco Alessandro Stefano Roberto Giovanni "
    "Davide Matteo Simone Massimo Fabio Claudio Maurizio Riccardo Alberto Daniele "
    "Federico Giorgio Lorenzo Emanuele Pietro Mario Luigi Enrico Sergio Franco Laura "
    "Chiara Francesca Elena Paola Silvia Sara Giulia Valentina Federica Anna Monica "
    "Cristina Barbara Elisa Alessandra Marta Roberta Daniela Simona"
)
BRAND_PREFIXES = _words(
    "Aero Avio Tecno Eli Astro Mecca Termo Elettro Micro Omni Alfa Delta Sigma Nova Vega "
    "Orion Stella Metal Titan Idro"
)
BRAND_SUFFIXES = _words("tec tecnica mec parts sistemi lab form comp tech line dyne works")
# Legal forms by headcount band: (form, weight)
LEGAL_FORMS: dict[str, tuple[tuple[str, float], ...]] = {
    "micro": (("S.r.l.", 60), ("S.n.c.", 18), ("S.a.s.", 12), ("S.r.l.s.", 10)),
    "small": (("S.r.l.", 85), ("S.p.A.", 5), ("S.n.c.", 5), ("S.a.s.", 5)),
    "medium": (("S.r.l.", 60), ("S.p.A.", 40)),
    "large": (("S.p.A.", 85), ("S.r.l.", 15)),
    "major": (("S.p.A.", 100),),
}

# ---------------------------------------------------------------- size

# (band, share of suppliers, fewest employees, most employees, turnover per employee range)
SIZE_BANDS: tuple[tuple[str, float, int, int, tuple[int, int]], ...] = (
    ("micro", 0.30, 1, 9, (60_000, 190_000)),
    ("small", 0.42, 10, 49, (80_000, 200_000)),
    ("medium", 0.20, 50, 249, (100_000, 230_000)),
    ("large", 0.06, 250, 999, (130_000, 260_000)),
    ("major", 0.02, 1_000, 3_500, (180_000, 320_000)),
)
TIERS: dict[str, tuple[tuple[str, float], ...]] = {
    "micro": (("tier3", 70), ("tier2", 30)),
    "small": (("tier3", 45), ("tier2", 50), ("tier1", 5)),
    "medium": (("tier2", 55), ("tier1", 35), ("tier3", 10)),
    "large": (("tier1", 70), ("tier2", 30)),
    "major": (("oem", 30), ("tier1", 70)),
}
CAPABILITY_COUNT = {
    "micro": (2, 4),
    "small": (2, 5),
    "medium": (3, 6),
    "large": (4, 7),
    "major": (5, 8),
}
VERIFIED_SHARE = {"micro": 0.55, "small": 0.62, "medium": 0.72, "large": 0.85, "major": 0.95}

# ---------------------------------------------------------------- what the firms do


@dataclass(frozen=True)
class Profile:
    """A kind of firm: its name words, capabilities and the supply chains it serves."""

    key: str
    weight: float
    # "Word:gn" with gn = gender and number of the word (ms, fs, mp, fp) or "en" for English
    words: tuple[str, ...]
    noun_it: tuple[str, str]  # (noun, "m" or "f")
    noun_en: str
    core: tuple[str, ...]
    extra: tuple[str, ...]
    chains: tuple[float, float, float]  # weights of rotary-wing, fixed-wing, space
    facts_it: tuple[str, ...] = ()
    facts_en: tuple[str, ...] = ()


PROFILES = (
    Profile(
        "machining",
        28,
        (
            "Meccanica:fs",
            "Officine Meccaniche:fp",
            "Meccanica di Precisione:fs",
            "Torneria:fs",
            "Lavorazioni Meccaniche:fp",
            "Tecnomeccanica:fs",
            "Meccanotecnica:fs",
            "Officina:fs",
        ),
        ("Officina meccanica", "f"),
        "Precision machine shop",
        (
            "machining.milling-5-axis",
            "machining.milling-3-axis",
            "machining.turning",
            "machining.titanium",
        ),
        (
            "machining.grinding",
            "machining.edm",
            "machining.large-parts",
            "assembly.mechanical",
            "testing.ndt.penetrant",
            "surface-treatment.heat-treatment",
            "engineering.design",
        ),
        (5, 3, 2),
        (
            "Il parco macchine comprende centri di lavoro a 5 assi e una sala metrologica "
            "climatizzata con macchina di misura a coordinate.",
            "Produce prototipi, piccole serie e ricambi su disegno del cliente.",
        ),
        (
            "The machine park includes 5-axis machining centres and a climate-controlled "
            "metrology room with a coordinate measuring machine.",
            "It makes prototypes, small batches and spares to customer drawings.",
        ),
    ),
    Profile(
        "sheet-metal",
        8,
        (
            "Carpenteria:fs",
            "Carpenterie Metalliche:fp",
            "Lamiere:fp",
            "Lavorazione Lamiere:fs",
            "Tranciatura:fs",
        ),
        ("Azienda", "f"),
        "Sheet metal specialist",
        ("sheet-metal.forming", "sheet-metal.laser-cutting", "sheet-metal.welding"),
        (
            "machining.milling-3-axis",
            "assembly.aerostructures",
            "surface-treatment.painting",
            "testing.ndt.penetrant",
        ),
        (4, 5, 1),
        ("Dispone di presse idrauliche e di un impianto di taglio laser in fibra.",),
        ("It runs hydraulic presses and a fibre laser cutting cell.",),
    ),
    Profile(
        "composites",
        8,
        (
            "Compositi:mp",
            "Tecnocompositi:mp",
            "Materiali Compositi:mp",
            "Carbon Parts:en",
            "Compositi Avanzati:mp",
        ),
        ("Azienda", "f"),
        "Composites manufacturer",
        ("composites.prepreg-layup", "composites.autoclave-curing", "composites.rtm"),
        (
            "composites.filament-winding",
            "testing.ndt.ultrasonic",
            "assembly.aerostructures",
            "engineering.design",
            "machining.milling-5-axis",
        ),
        (3, 4, 3),
        ("Dispone di due autoclavi e di una camera pulita per la laminazione.",),
        ("It operates two autoclaves and a clean room for lay-up.",),
    ),
    Profile(
        "surface",
        7,
        (
            "Trattamenti Galvanici:mp",
            "Galvanica:fs",
            "Verniciature Industriali:fp",
            "Trattamenti Termici:mp",
            "Anodica:fs",
            "Trattamenti Superficiali:mp",
        ),
        ("Azienda", "f"),
        "Special-process house",
        (
            "surface-treatment.anodizing",
            "surface-treatment.painting",
            "surface-treatment.plating",
            "surface-treatment.heat-treatment",
        ),
        (
            "surface-treatment.shot-peening",
            "testing.materials",
            "testing.ndt.penetrant",
        ),
        (4, 4, 2),
        ("Gli impianti sono qualificati dai principali costruttori aeronautici.",),
        ("Its process lines are qualified by the main aircraft manufacturers.",),
    ),
    Profile(
        "electronics",
        9,
        (
            "Elettronica:fs",
            "Cablaggi:mp",
            "Elettronica Industriale:fs",
            "Electronics:en",
            "Circuiti:mp",
        ),
        ("Azienda", "f"),
        "Electronics manufacturer",
        ("electronics.pcb-assembly", "electronics.wire-harness", "electronics.power"),
        (
            "electronics.rf-microwave",
            "testing.environmental",
            "engineering.design",
            "software.embedded",
        ),
        (3, 3, 4),
        ("Le linee SMT lavorano secondo IPC-A-610 classe 3.",),
        ("Its SMT lines work to IPC-A-610 class 3.",),
    ),
    Profile(
        "avionics",
        5,
        ("Avionica:fs", "Sistemi Avionici:mp", "Avionics:en", "Sistemi di Bordo:mp"),
        ("Azienda", "f"),
        "Avionics company",
        ("avionics.flight-control", "avionics.navigation", "avionics.cockpit-displays"),
        (
            "software.embedded",
            "software.safety-critical",
            "electronics.pcb-assembly",
            "testing.environmental",
            "engineering.certification-support",
        ),
        (4, 5, 2),
        ("Segue lo sviluppo dal requisito alla qualifica del prodotto.",),
        ("It takes products from requirements through to qualification.",),
    ),
    Profile(
        "software",
        6,
        ("Software:en", "Sistemi Informatici:mp", "Simulazione:fs", "Informatica:fs"),
        ("Società di ingegneria del software", "f"),
        "Software house",
        (
            "software.embedded",
            "software.safety-critical",
            "software.simulation",
            "software.ground-segment",
        ),
        ("engineering.design", "avionics.flight-control", "testing.environmental"),
        (2, 3, 5),
        ("Il team lavora con processi certificati e strumenti qualificati.",),
        ("The team works with certified processes and qualified tools.",),
    ),
    Profile(
        "engineering",
        8,
        ("Engineering:en", "Ingegneria:fs", "Progettazione:fs", "Studio Tecnico:ms"),
        ("Studio di ingegneria", "m"),
        "Engineering consultancy",
        (
            "engineering.design",
            "engineering.stress-analysis",
            "engineering.certification-support",
        ),
        ("software.simulation", "testing.materials", "software.embedded"),
        (4, 4, 3),
        ("Affianca gli uffici tecnici dei clienti con personale in sede o da remoto.",),
        ("It supports customers' design offices on site or remotely.",),
    ),
    Profile(
        "testing",
        5,
        ("Laboratorio Prove:ms", "Prove e Controlli:mp", "Test Lab:en", "Laboratori:mp"),
        ("Laboratorio", "m"),
        "Test laboratory",
        (
            "testing.ndt.ultrasonic",
            "testing.ndt.radiography",
            "testing.ndt.penetrant",
            "testing.materials",
        ),
        ("testing.environmental", "testing.vibration", "engineering.stress-analysis"),
        (3, 3, 4),
        ("Il personale è qualificato di livello 2 e 3 secondo EN 4179.",),
        ("Its inspectors are qualified to EN 4179 levels 2 and 3.",),
    ),
    Profile(
        "additive",
        4,
        ("Additive:en", "Stampa 3D:fs", "Additive Manufacturing:en", "3D Metal:en"),
        ("Azienda", "f"),
        "Additive manufacturing company",
        (
            "additive-manufacturing.metal-lpbf",
            "additive-manufacturing.polymer",
            "additive-manufacturing.ded",
        ),
        (
            "machining.milling-5-axis",
            "testing.materials",
            "engineering.design",
            "surface-treatment.heat-treatment",
        ),
        (3, 3, 4),
        ("Cura anche l'ottimizzazione topologica dei componenti.",),
        ("It also handles topology optimisation of parts.",),
    ),
    Profile(
        "assembly",
        5,
        (
            "Aerostrutture:fp",
            "Assemblaggi:mp",
            "Montaggi Aeronautici:mp",
            "Assemblaggi Meccanici:mp",
        ),
        ("Azienda", "f"),
        "Assembly contractor",
        ("assembly.aerostructures", "assembly.mechanical", "assembly.cabin-interiors"),
        (
            "sheet-metal.forming",
            "composites.prepreg-layup",
            "electronics.wire-harness",
            "engineering.design",
        ),
        (4, 6, 1),
        ("Lavora presso i propri capannoni e sulle linee dei clienti.",),
        ("It works in its own halls and on customers' lines.",),
    ),
    Profile(
        "space",
        5,
        ("Space:en", "Spazio:ms", "Ottica:fs", "Sistemi Spaziali:mp", "Space Systems:en"),
        ("Azienda", "f"),
        "Space company",
        (
            "space-systems.payloads",
            "space-systems.optics",
            "space-systems.thermal-control",
            "space-systems.cleanroom-integration",
        ),
        (
            "electronics.rf-microwave",
            "testing.vibration",
            "testing.environmental",
            "software.ground-segment",
            "engineering.design",
        ),
        (0, 0, 1),
        ("Ha partecipato a missioni dell'Agenzia Spaziale Europea e dell'ASI.",),
        ("It has worked on European Space Agency and ASI missions.",),
    ),
    Profile(
        "mro",
        4,
        (
            "Aviation Service:en",
            "Elicotteri Service:en",
            "Manutenzioni Aeronautiche:fp",
            "Revisioni:fp",
        ),
        ("Organizzazione di manutenzione", "f"),
        "Maintenance organisation",
        ("mro.rotorcraft", "mro.components"),
        (
            "engineering.certification-support",
            "testing.ndt.penetrant",
            "testing.ndt.ultrasonic",
            "assembly.mechanical",
        ),
        (8, 3, 0),
        ("Offre assistenza tecnica anche presso le basi degli operatori.",),
        ("It also provides technical support at operators' bases.",),
    ),
    Profile(
        "integrator",
        0,
        (
            "Aerospazio:ms",
            "Sistemi Aerospaziali:mp",
            "Industrie Aeronautiche:fp",
            "Aerostrutture:fp",
            "Elicotteristica:fs",
        ),
        ("Gruppo industriale", "m"),
        "Industrial group",
        (
            "assembly.aerostructures",
            "engineering.design",
            "avionics.flight-control",
            "assembly.mechanical",
        ),
        (
            "machining.large-parts",
            "composites.autoclave-curing",
            "software.safety-critical",
            "testing.vibration",
            "engineering.certification-support",
            "mro.rotorcraft",
            "electronics.wire-harness",
        ),
        (5, 4, 2),
        ("Gestisce una rete di fornitori locali e stabilimenti in più regioni.",),
        ("It manages a network of local suppliers and plants in several regions.",),
    ),
)
# Profiles of the biggest firms (1,000+ employees): (key, weight)
MAJOR_PROFILES = (
    ("integrator", 50),
    ("space", 15),
    ("avionics", 15),
    ("assembly", 10),
    ("mro", 10),
)

CHAINS = ("rotary-wing", "fixed-wing", "space")
# chain -> (short phrase, used in lists), (longer phrase, used alone); each (Italian, English)
CHAIN_NOUNS = {
    "rotary-wing": (
        ("elicotteri", "helicopters"),
        ("elicotteri e convertiplani", "helicopters and tiltrotors"),
    ),
    "fixed-wing": (
        ("velivoli ad ala fissa", "fixed-wing aircraft"),
        (
            "addestratori militari e velivoli da trasporto",
            "military trainers and transport aircraft",
        ),
    ),
    "space": (("satelliti", "spacecraft"), ("satelliti e lanciatori", "satellites and launchers")),
}
PROGRAMS = {
    "rotary-wing": (*_words("AW139 AW169 AW189 AW101 AW109 AW119 AW149 AW249 AW609 NH90"),),
    "fixed-wing": (*_words("M-346 M-345 C-27J Eurofighter F-35 ATR-72 Tornado B787 A321"), "P.180"),
    "space": (
        *_words("Vega Vega-C Ariane-6 Sentinel-1 Sentinel-2 Sentinel-6 COSMO-SkyMed ExoMars"),
        *_words("PRISMA IRIDE Galileo MTG Euclid JUICE"),
        "Lunar Gateway",
    ),
}
DEFENCE_PROGRAMS = frozenset(
    _words("M-346 M-345 C-27J Eurofighter F-35 Tornado AW101 AW149 AW249 NH90")
)

# code -> (Italian phrase, English phrase) for descriptions; unknown codes use catalogue labels.
CAPABILITY_PHRASES = {
    "machining": ("lavorazioni meccaniche di precisione", "precision machining"),
    "machining.milling-3-axis": ("fresatura CNC a 3 assi", "3-axis CNC milling"),
    "machining.milling-5-axis": (
        "fresatura a 5 assi di componenti complessi",
        "5-axis milling of complex parts",
    ),
    "machining.turning": (
        "tornitura CNC di alberi e boccole",
        "CNC turning of shafts and bushings",
    ),
    "machining.grinding": (
        "rettifica in tondo e in piano con tolleranze micrometriche",
        "cylindrical and surface grinding to micron tolerances",
    ),
    "machining.edm": ("elettroerosione a filo e a tuffo", "wire and sinker EDM"),
    "machining.titanium": (
        "lavorazione di titanio e Inconel",
        "machining of titanium and Inconel",
    ),
    "machining.large-parts": (
        "lavorazione di grandi particolari strutturali",
        "machining of large structural parts",
    ),
    "sheet-metal": ("lavorazione della lamiera", "sheet metal work"),
    "sheet-metal.forming": (
        "formatura e stiratura di lamiere in alluminio e titanio",
        "stretch and press forming of aluminium and titanium sheet",
    ),
    "sheet-metal.laser-cutting": (
        "taglio laser di lamiere e tubi",
        "laser cutting of sheet and tube",
    ),
    "sheet-metal.welding": ("saldatura TIG e laser", "TIG and laser welding"),
    "composites": ("componenti in materiale composito", "composite parts"),
    "composites.prepreg-layup": (
        "laminazione di preimpregnati in fibra di carbonio",
        "carbon-fibre prepreg lay-up",
    ),
    "composites.autoclave-curing": ("polimerizzazione in autoclave", "autoclave curing"),
    "composites.rtm": (
        "stampaggio RTM di parti strutturali",
        "resin transfer moulding of structural parts",
    ),
    "composites.filament-winding": (
        "avvolgimento filamentare di serbatoi e tubi",
        "filament winding of tanks and tubes",
    ),
    "additive-manufacturing": ("manifattura additiva", "additive manufacturing"),
    "additive-manufacturing.metal-lpbf": (
        "stampa 3D in metallo a letto di polvere",
        "metal laser powder bed fusion",
    ),
    "additive-manufacturing.polymer": (
        "stampa 3D di polimeri tecnici per prototipi e attrezzature",
        "polymer 3D printing of prototypes and tooling",
    ),
    "additive-manufacturing.ded": (
        "deposizione diretta di energia per riparazioni e preforme",
        "directed energy deposition for repairs and preforms",
    ),
    "surface-treatment": ("trattamenti superficiali", "surface treatments"),
    "surface-treatment.anodizing": (
        "anodizzazione solforica e dura",
        "sulphuric and hard anodizing",
    ),
    "surface-treatment.painting": (
        "verniciatura aeronautica con primer e finiture qualificate",
        "aerospace painting with qualified primers and topcoats",
    ),
    "surface-treatment.plating": (
        "nichelatura e passivazione",
        "nickel plating and passivation",
    ),
    "surface-treatment.shot-peening": ("pallinatura controllata", "controlled shot peening"),
    "surface-treatment.heat-treatment": (
        "trattamenti termici in vuoto di acciai e leghe di titanio",
        "vacuum heat treatment of steels and titanium alloys",
    ),
    "electronics": ("produzione elettronica", "electronics manufacturing"),
    "electronics.pcb-assembly": (
        "assemblaggio SMT di schede elettroniche",
        "SMT assembly of printed circuit boards",
    ),
    "electronics.wire-harness": ("cablaggi e harness elettrici", "electrical wire harnesses"),
    "electronics.power": (
        "elettronica di potenza e alimentatori",
        "power electronics and power supplies",
    ),
    "electronics.rf-microwave": ("moduli a radiofrequenza e microonde", "RF and microwave modules"),
    "avionics": ("sistemi avionici", "avionics systems"),
    "avionics.flight-control": (
        "computer e attuatori per il controllo del volo",
        "flight control computers and actuators",
    ),
    "avionics.navigation": (
        "sistemi di navigazione e sensori inerziali",
        "navigation systems and inertial sensors",
    ),
    "avionics.cockpit-displays": (
        "display e pannelli della cabina di pilotaggio",
        "cockpit displays and control panels",
    ),
    "software": ("sviluppo software", "software development"),
    "software.embedded": (
        "software embedded per sistemi di bordo",
        "embedded software for on-board systems",
    ),
    "software.safety-critical": (
        "software critico per la sicurezza secondo DO-178C",
        "safety-critical software to DO-178C",
    ),
    "software.simulation": (
        "simulatori e sistemi di addestramento",
        "simulators and training systems",
    ),
    "software.ground-segment": (
        "software di segmento di terra e controllo missione",
        "ground segment and mission control software",
    ),
    "testing": ("prove e collaudi", "testing and inspection"),
    "testing.ndt": ("controlli non distruttivi", "non-destructive testing"),
    "testing.ndt.ultrasonic": ("controlli a ultrasuoni", "ultrasonic inspection"),
    "testing.ndt.radiography": ("controlli radiografici", "radiographic inspection"),
    "testing.ndt.penetrant": ("controlli con liquidi penetranti", "penetrant inspection"),
    "testing.environmental": (
        "prove ambientali in camera climatica",
        "environmental testing in climatic chambers",
    ),
    "testing.vibration": ("prove di vibrazione e shock", "vibration and shock testing"),
    "testing.materials": (
        "prove meccaniche e metallografiche sui materiali",
        "mechanical and metallographic materials testing",
    ),
    "engineering": ("servizi di ingegneria", "engineering services"),
    "engineering.design": (
        "progettazione meccanica e modellazione CAD 3D",
        "mechanical design and 3D CAD modelling",
    ),
    "engineering.stress-analysis": ("calcolo strutturale FEM", "FEM stress analysis"),
    "engineering.certification-support": (
        "supporto alla certificazione EASA",
        "EASA certification support",
    ),
    "assembly": ("assemblaggio", "assembly"),
    "assembly.aerostructures": ("assemblaggio di aerostrutture", "aerostructure assembly"),
    "assembly.mechanical": (
        "montaggio di gruppi meccanici e riduttori",
        "mechanical assembly of gearboxes and subassemblies",
    ),
    "assembly.cabin-interiors": ("allestimento di interni di cabina", "cabin interior fitting"),
    "space-systems": ("sistemi spaziali", "space systems"),
    "space-systems.payloads": (
        "sviluppo di payload scientifici e di osservazione della Terra",
        "scientific and Earth-observation payload development",
    ),
    "space-systems.optics": (
        "ottiche e strumenti ottici per lo spazio",
        "space optics and optical instruments",
    ),
    "space-systems.thermal-control": (
        "sistemi di controllo termico per satelliti",
        "thermal control hardware for satellites",
    ),
    "space-systems.cleanroom-integration": (
        "integrazione in camera bianca ISO 8",
        "ISO 8 clean-room integration",
    ),
    "mro": ("manutenzione e revisione", "maintenance and overhaul"),
    "mro.rotorcraft": ("manutenzione di elicotteri", "helicopter maintenance"),
    "mro.components": ("revisione di componenti e accessori", "component and accessory overhaul"),
}
# Phrases used instead when the firm also machines titanium (the titanium phrase is dropped).
TITANIUM_PHRASES = {
    "machining.milling-5-axis": (
        "fresatura a 5 assi di componenti in titanio",
        "5-axis milling of titanium parts",
    ),
    "machining.turning": (
        "tornitura CNC di particolari in titanio",
        "CNC turning of titanium parts",
    ),
}

# ---------------------------------------------------------------- certifications

# (certification body, weight, certificate number format)
QUALITY_ISSUERS = (
    ("RINA", 25, "{serial:05d}/{year:02d}/S"),
    ("TÜV Italia", 15, "50 100 {serial:05d}"),
    ("DNV", 12, "{serial:06d}-20{year:02d}-AQ-ITA-ACCREDIA"),
    ("Bureau Veritas Italia", 12, "IT{serial:06d}"),
    ("IMQ", 10, "CSQ {short:04d}.{extra:03d}"),
    ("SGS Italia", 8, "IT{year:02d}/{short:04d}"),
    ("Certiquality", 7, "{serial:05d}"),
    ("DQS Italia", 5, "{serial:06d} QM15"),
    ("LRQA", 3, "LRQ{serial:07d}"),
    ("Kiwa Cermet Italia", 3, "{short:04d}-A"),
)
CERTIFICATE_FORMATS = {issuer: number for issuer, _weight, number in QUALITY_ISSUERS}
# capability -> (Nadcap commodity code suffix, likelihood when the firm has the capability)
NADCAP_BY_CAPABILITY: dict[str, tuple[tuple[str, float], ...]] = {
    "surface-treatment.anodizing": (("chemical-processing", 0.8),),
    "surface-treatment.plating": (("chemical-processing", 0.8),),
    "surface-treatment.painting": (("coatings", 0.6),),
    "surface-treatment.shot-peening": (("surface-enhancement", 0.7),),
    "surface-treatment.heat-treatment": (("heat-treating", 0.7),),
    "sheet-metal.welding": (("welding", 0.6),),
    "composites.prepreg-layup": (("composites", 0.6),),
    "composites.autoclave-curing": (("composites", 0.6),),
    "composites.rtm": (("composites", 0.5),),
    "testing.ndt.ultrasonic": (("non-destructive-testing", 0.7),),
    "testing.ndt.radiography": (("non-destructive-testing", 0.7),),
    "testing.ndt.penetrant": (("non-destructive-testing", 0.5),),
    "testing.materials": (("materials-testing-labs", 0.6),),
    "electronics.pcb-assembly": (("electronics", 0.4),),
    "electronics.wire-harness": (("electronics", 0.3),),
    "machining.edm": (("nonconventional-machining", 0.4),),
    "machining.milling-5-axis": (("conventional-machining", 0.1), ("measurement-inspection", 0.1)),
    "assembly.aerostructures": (("sealants", 0.3), ("fluids-distribution", 0.1)),
    "assembly.mechanical": (("elastomer-seals", 0.05), ("fluids-distribution", 0.1)),
}
NADCAP_LIKELIHOOD = {"micro": 0.3, "small": 0.5, "medium": 0.7, "large": 0.9, "major": 1.0}
# Management-system certificates: (code, likelihood by band micro..major); see _certifications.
ISO_14001 = (0.05, 0.15, 0.35, 0.7, 0.95)
ISO_45001 = (0.03, 0.1, 0.25, 0.6, 0.9)
EN_9100 = (0.45, 0.65, 0.82, 0.95, 1.0)
BANDS = tuple(band[0] for band in SIZE_BANDS)
VERIFICATION_UNVERIFIED = (("self-declared", 60), ("document", 35), ("cluster-verified", 5))
VERIFICATION_VERIFIED = (
    ("self-declared", 20),
    ("document", 35),
    ("cluster-verified", 25),
    ("registry-verified", 20),
)
REGISTRY_KINDS = frozenset(
    {"quality-management", "airworthiness-approval", "nadcap-special-process"}
)
EXPIRED_SHARE = 0.12
STATUSES = (("active", 93), ("suspended", 5), ("withdrawn", 2))


_NON_ALNUM = re.compile(r"[^a-z0-9]+")

Weighted = tuple[list[Any], list[float]]
Row = dict[str, Any]


def _cum(pairs: Sequence[tuple[Any, ...]]) -> Weighted:
    """Values and cumulative weights (the second item of each pair), for `_Generator.weighted`."""
    return [pair[0] for pair in pairs], list(accumulate(pair[1] for pair in pairs))


# How many supply chains a firm serves: (count, weight)
_CHAIN_COUNTS = _cum(((1, 50), (2, 35), (3, 15)))
_CHAIN_COUNTS_MAJOR = _cum(((1, 10), (2, 40), (3, 50)))


def _allocate(*, total: int, shares: Sequence[float]) -> list[int]:
    """Split `total` in proportion to `shares` (largest remainder), so the shape is exact."""
    scale = sum(shares)
    exact = [total * share / scale for share in shares]
    counts = [math.floor(x) for x in exact]
    order = sorted(range(len(shares)), key=lambda i: (counts[i] - exact[i], i))
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _slug(text: str) -> list[str]:
    """ASCII lower-case words of a company name, for domains and e-mail addresses."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [word for word in _NON_ALNUM.split(ascii_text.replace("&", " ")) if word]


_DOUBLED = tuple(sum(divmod(2 * d, 10)) for d in range(10))


def _luhn_digit(body: str) -> str:
    """The Luhn check digit of a string of digits (`stdnum.luhn.calc_check_digit`, faster)."""
    digits = [ord(c) - 48 for c in reversed(body)]
    total = sum(digits[1::2]) + sum(_DOUBLED[d] for d in digits[::2])
    return str(-total % 10)


def _join(items: Sequence[str], *, last: str) -> str:
    """`a, b and c`; the Italian `e` becomes `ed` before another e."""
    if len(items) == 1:
        return items[0]
    if last == "e" and items[-1][:1].lower() == "e":
        last = "ed"
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


@dataclass
class _Catalogue:
    """The catalogue codes of the database, with the words the generator needs for them."""

    chains: list[str]
    phrases: dict[str, tuple[str, str]]  # capability code -> (Italian, English) phrase
    labels: dict[str, tuple[str, str]]  # capability code -> (name_en, name_it)
    roots: set[str]
    standards: dict[str, tuple[str, str]]  # code -> (name, kind)


def _read_catalogue(conn: Connection) -> _Catalogue:
    """The catalogue codes the database holds, in a fixed order."""
    chains = list(conn.scalars(select(SupplyChain.code).order_by(SupplyChain.code)))
    phrases: dict[str, tuple[str, str]] = {}
    labels: dict[str, tuple[str, str]] = {}
    roots: set[str] = set()
    query = select(Capability.code, Capability.parent, Capability.name_en, Capability.name_it)
    for code, parent, name_en, name_it in conn.execute(query.order_by(Capability.code)):
        lower = (name_it[:1].lower() + name_it[1:], name_en[:1].lower() + name_en[1:])
        phrases[code] = CAPABILITY_PHRASES.get(code, lower)
        labels[code] = (name_en, name_it)
        if parent is None:
            roots.add(code)
    standards = {
        code: (name, kind)
        for code, name, kind in conn.execute(
            select(
                CertificationStandard.code, CertificationStandard.name, CertificationStandard.kind
            ).order_by(CertificationStandard.code)
        )
    }
    return _Catalogue(
        chains=chains, phrases=phrases, labels=labels, roots=roots, standards=standards
    )


@dataclass
class _Batch:
    """BATCH_SIZE suppliers with their links, for the supplier writer."""

    writes: list[SupplierWrite] = field(default_factory=list)
    employees: int = 0


class _Generator:
    """Draws suppliers one by one from a single seeded random stream."""

    def __init__(
        self,
        *,
        seed: int,
        total: int,
        today: date,
        catalogue: _Catalogue,
        taken_vats: set[str],
        taken_names: set[str],
    ) -> None:
        self.rng = Random(seed)
        # Only random() is drawn per supplier: the helpers below build on it and are fast.
        self.rnd = self.rng.random
        # VAT numbers have their own stream, so redrawing a taken one shifts nothing else.
        self.vat_rnd = Random(f"vat-{seed}").random
        self.today = today
        self.midnight = datetime.combine(today, dt_time(0), tzinfo=UTC)
        self.catalogue = catalogue
        self.taken_vats = taken_vats
        self.taken_names = taken_names
        self.homonyms: dict[str, int] = {}  # name -> the lowest number it may still take
        self.chain_draws: dict[tuple[float, ...], Weighted] = {}
        known = catalogue.phrases
        self.profiles = {
            p.key: replace(
                p,
                core=tuple(c for c in p.core if c in known),
                extra=tuple(c for c in p.extra if c in known),
            )
            for p in PROFILES
        }
        self.leaves = [code for code in known if not any(o.startswith(code + ".") for o in known)]
        self.general_profiles = _cum([(p.key, p.weight) for p in PROFILES if p.weight])
        self.major_profiles = _cum(MAJOR_PROFILES)
        self.issuers = _cum(QUALITY_ISSUERS)
        self.statuses = _cum(STATUSES)
        self.trust_unverified = _cum(VERIFICATION_UNVERIFIED)
        self.trust_verified = _cum(VERIFICATION_VERIFIED)
        self.legal_forms = {band: _cum(forms) for band, forms in LEGAL_FORMS.items()}
        self.tiers = {band: _cum(tiers) for band, tiers in TIERS.items()}
        self.bands = {band[0]: band for band in SIZE_BANDS}
        self.province_info = {p[0]: p for p in PROVINCES}
        self.headcounts = self._headcounts(total)
        self.provinces = self._provinces(total)

    # -------------------------------------------------------------- draws

    def pick(self, seq: Sequence[Any]) -> Any:
        """One item, uniformly."""
        return seq[int(self.rnd() * len(seq))]

    def between(self, low: int, high: int) -> int:
        """An integer in [low, high]."""
        return low + int(self.rnd() * (high - low + 1))

    def weighted(self, table: Weighted) -> Any:
        """One value of a `_cum` table, with the probability of its weight."""
        values, cumulative = table
        return values[bisect_right(cumulative, self.rnd() * cumulative[-1])]

    def sample(self, seq: Sequence[Any], count: int) -> list[Any]:
        """`count` distinct items in random order (partial Fisher-Yates)."""
        pool = list(seq)
        size = len(pool)
        count = min(count, size)
        for i in range(count):
            j = i + int(self.rnd() * (size - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:count]

    # -------------------------------------------------------------- shape of the whole set

    def _headcounts(self, total: int) -> list[int]:
        """Employees of every supplier: exact band shares, stratified draws within each band."""
        values: list[int] = []
        counts = _allocate(total=total, shares=[band[1] for band in SIZE_BANDS])
        for (_band, _share, low, high, _rpe), count in zip(SIZE_BANDS, counts, strict=True):
            ratio = (high + 1) / low
            for k in range(count):
                values.append(min(high, int(low * ratio ** ((k + self.rnd()) / count))))
        self.rng.shuffle(values)
        return values

    def _provinces(self, total: int) -> list[str]:
        """Province of every supplier, in the exact shares of PROVINCES."""
        counts = _allocate(total=total, shares=[p[1] for p in PROVINCES])
        values = [p[0] for p, count in zip(PROVINCES, counts, strict=True) for _ in range(count)]
        self.rng.shuffle(values)
        return values

    # -------------------------------------------------------------- one supplier

    def batches(self, *, first_id: int | None) -> Iterator[_Batch]:
        """The suppliers with their links, BATCH_SIZE at a time: ids from `first_id` on, or
        (None) drawn by the writer when it writes them."""
        batch = _Batch()
        for index, employees in enumerate(self.headcounts):
            self._supplier(
                batch=batch,
                supplier_id=None if first_id is None else first_id + index,
                employees=employees,
                province=self.provinces[index],
            )
            if len(batch.writes) >= BATCH_SIZE:
                yield batch
                batch = _Batch()
        if batch.writes:
            yield batch

    def _supplier(
        self,
        *,
        batch: _Batch,
        supplier_id: int | None,
        employees: int,
        province: str,
    ) -> None:
        """Append one supplier and its links to `batch`."""
        rnd = self.rnd
        band = next(b[0] for b in SIZE_BANDS if employees <= b[3])
        rpe_low, rpe_high = self.bands[band][4]
        profile = self.profiles[
            self.weighted(self.major_profiles if band == "major" else self.general_profiles)
        ]
        revenue: int | None = None
        if band in ("major", "large") or rnd() > 0.08:
            per_employee = rpe_low + rnd() * (rpe_high - rpe_low)
            revenue = max(50_000, round(employees * per_employee / 10_000) * 10_000)
        tier = "oem" if employees >= 2_500 else self.weighted(self.tiers[band])
        chains = self._chains(profile=profile, band=band)
        capabilities = self._capabilities(profile=profile, band=band)
        programs = self._programs(chains=chains, band=band, tier=tier)
        name, surname = self._name(profile=profile, province=province, employees=employees)
        form = self.weighted(self.legal_forms[band])
        if surname and form in ("S.n.c.", "S.a.s."):
            legal_name = f"{name} di {surname} {self.pick(FIRST_NAMES)} & C. {form}"
        else:
            legal_name = f"{name} {form}"

        city, postal_code, lat, lon, area_code = self.pick(CITIES[province])
        if "-" in postal_code:
            first, last = postal_code.split("-")
            postal_code = str(self.between(int(first), int(last)))
        # About 1.5 km of jitter around the town centre.
        lat = round(lat + (rnd() - 0.5) * 0.028, 6)
        lon = round(lon + (rnd() - 0.5) * 0.04, 6)

        words = _slug(name)
        domain = "".join(words)
        if len(domain) > 22:
            domain = "".join(w[0] for w in words[:-1]) + words[-1]
        domain += ".it"
        website = f"https://www.{domain}/" if band != "micro" or rnd() < 0.8 else None
        contact_first = self.pick(FIRST_NAMES)
        contact_last = surname if surname and rnd() < 0.4 else self.pick(SURNAMES)
        if rnd() < 0.6:
            local = f"{contact_first}.{contact_last}".lower()
        else:
            local = self.pick(("info", "commerciale", "sales", "qualita", "ufficiotecnico"))
        digits = 10 - len(area_code)
        phone = f"+39 {area_code} {self.between(2 * 10 ** (digits - 1), 10**digits - 1)}"

        verified = rnd() < VERIFIED_SHARE[band]
        italian = rnd() < 0.6
        certifications = self._certifications(
            band=band,
            profile=profile,
            capabilities=capabilities,
            programs=programs,
            verified=verified,
            italian=italian,
        )
        founded = (
            self.between(1950, 2015) if band in ("large", "major") else self.between(1965, 2021)
        )
        description = self._description(
            italian=italian,
            name=name,
            profile=profile,
            city=city,
            province=province,
            founded=founded,
            capabilities=capabilities,
            chains=chains,
            programs=programs,
            employees=employees,
            en_9100=any(c["standard_code"] == "en-9100" for c in certifications),
        )
        age = self.between(86_400, 6 * 365 * 86_400)
        created_at = self.midnight - timedelta(seconds=age)
        updated_at = created_at + timedelta(seconds=self.between(0, age - 1))

        values: Row = {
            "name": name,
            "legal_name": legal_name,
            "vat_number": self._vat(province=province),
            "description": description,
            "website": website,
            "street": f"{self.pick(STREETS)} {self.between(1, 180)}",
            "city": city,
            "province": province,
            "postal_code": postal_code,
            "country": "IT",
            "lat": lat,
            "lon": lon,
            "employees": employees,
            "annual_revenue_eur": revenue,
            "tier": tier,
            "programs": programs,
            "contact_name": f"{contact_first} {contact_last}",
            "contact_email": f"{local}@{domain}",
            "contact_phone": phone,
            "verified": verified,
            "created_at": created_at,
            "updated_at": updated_at,
        }
        batch.writes.append(
            SupplierWrite(
                kind="created",
                values=values,
                supply_chains=chains,
                capabilities=capabilities,
                certifications=certifications,
                supplier_id=supplier_id,
            )
        )
        batch.employees += employees

    def _vat(self, *, province: str) -> str:
        """A valid Partita IVA registered at the province's office, unused by live suppliers."""
        office = self.province_info[province][2]
        while True:
            body = f"{1 + int(self.vat_rnd() * 9_999_999):07d}{office}"
            vat = f"IT{body}{_luhn_digit(body)}"
            if vat not in self.taken_vats:
                self.taken_vats.add(vat)
                return vat

    def _name(self, *, profile: Profile, province: str, employees: int) -> tuple[str, str | None]:
        """A unique trading name (no legal form) and the family name in it, if any."""
        rnd, pick, taken = self.rnd, self.pick, self.taken_names
        name, surname = pick(BRAND_PREFIXES) + pick(BRAND_SUFFIXES), None
        for attempt in range(40):
            word, form = pick(profile.words).split(":")
            surname = None
            pattern = rnd() if attempt < 12 else 1.0
            if pattern < 0.28:
                surname = pick(SURNAMES)
                name = f"{word} {surname}"
            elif pattern < 0.42:
                surname = pick(SURNAMES)
                name = f"{surname} {word}"
            elif pattern < 0.62:
                where = province if rnd() < 0.9 else pick(PROVINCES)[0]
                adjectives, place = self.province_info[where][3:5]
                if form == "en":
                    name = f"{place} {word}"
                else:
                    name = f"{word} {adjectives[('ms', 'fs', 'mp', 'fp').index(form)]}"
            elif pattern < 0.74:
                brand = pick(BRAND_PREFIXES) + pick(BRAND_SUFFIXES)
                tail = pick(("Italia", "Group") if employees >= 50 else ("Italia",))
                name = brand if rnd() < 0.5 else f"{brand} {tail}"
            elif pattern < 0.84:
                surname, partner = pick(SURNAMES), pick(SURNAMES)
                if partner == surname:
                    continue
                name = f"{word} {surname} & {partner}"
            elif pattern < 0.92:
                surname = pick(SURNAMES)
                name = f"{word} F.lli {surname}"
            else:
                surname = pick(SURNAMES)
                name = f"{word} {surname} {pick(FIRST_NAMES)}"
            if name not in taken:
                taken.add(name)
                return name, surname
        # A saturated name space (hundreds of thousands of firms): number the homonyms, from
        # the last number given to this name on (the lower ones are all taken).
        serial = self.homonyms.get(name, 2)
        while f"{name} {serial}" in taken:
            serial += 1
        self.homonyms[name] = serial + 1
        taken.add(f"{name} {serial}")
        return f"{name} {serial}", surname

    def _chains(self, *, profile: Profile, band: str) -> list[str]:
        """1-3 supply chains, weighted by what the profile's firms usually serve."""
        available = self.catalogue.chains
        weighted = [
            (chain, weight)
            for chain, weight in zip(CHAINS, profile.chains, strict=True)
            if weight and chain in available
        ] or [(chain, 1.0) for chain in available]
        wanted = self.weighted(_CHAIN_COUNTS_MAJOR if band == "major" else _CHAIN_COUNTS)
        chosen: list[str] = []
        while weighted and len(chosen) < wanted:
            weights = tuple(w for _c, w in weighted)
            draw = self.chain_draws.get(weights)
            if draw is None:
                draw = self.chain_draws[weights] = _cum(list(enumerate(weights)))
            index = self.weighted(draw)
            chosen.append(weighted.pop(index)[0])
        if profile.key == "space" and self.rnd() < 0.15:
            # Space firms sometimes serve aircraft too.
            other = self.pick([c for c in available if c != "space"] or available)
            if other not in chosen:
                chosen.append(other)
        return chosen

    def _capabilities(self, *, profile: Profile, band: str) -> list[str]:
        """2-8 codes: some of the profile's core, topped up from its related capabilities."""
        wanted = self.between(*CAPABILITY_COUNT[band])
        core = list(profile.core) or self.leaves
        chosen = self.sample(core, self.between(1, 3))
        rest = self.sample([c for c in core if c not in chosen] + list(profile.extra), 99)
        chosen += rest[: max(0, wanted - len(chosen))]
        if self.rnd() < 0.12:
            root = chosen[0].split(".")[0]
            if root in self.catalogue.roots and root not in chosen:
                chosen.append(root)
        return chosen[:8]

    def _programs(self, *, chains: list[str], band: str, tier: str) -> list[str]:
        """Program tags of the firm's supply chains; bigger firms name more."""
        if self.rnd() < (0.3 if band in ("micro", "small") else 0.08):
            return []
        pool = [tag for chain in chains for tag in PROGRAMS.get(chain, ())]
        most = {"micro": 2, "small": 3, "medium": 4, "large": 5, "major": 6}[band]
        if tier in ("oem", "tier1"):
            most += 1
        return self.sample(pool, self.between(1, most)) if pool else []

    def _certifications(
        self,
        *,
        band: str,
        profile: Profile,
        capabilities: list[str],
        programs: list[str],
        verified: bool,
        italian: bool,
    ) -> list[Row]:
        """Certificates fitting size, capabilities and programs; some expired or suspended."""
        rnd = self.rnd
        level = BANDS.index(band)
        codes: list[str] = []
        if profile.key == "mro":
            codes.append("en-9110")
            if rnd() < 0.5:
                codes.append("en-9100")
        elif rnd() < EN_9100[level]:
            codes.append("en-9100")
        if rnd() < (0.3 if codes else 0.85):
            codes.append("iso-9001")
        if rnd() < 0.03:
            codes.append("en-9120")
        if rnd() < ISO_14001[level]:
            codes.append("iso-14001")
        if rnd() < ISO_45001[level]:
            codes.append("iso-45001")
        if (profile.key == "mro" and rnd() < 0.9) or (level >= 3 and rnd() < 0.3):
            codes.append("easa-part-145")
        if (level >= 3 and rnd() < 0.6) or (
            profile.key in ("assembly", "avionics") and level == 2 and rnd() < 0.15
        ):
            codes.append("easa-part-21g")
        defence = any(tag in DEFENCE_PROGRAMS for tag in programs)
        if rnd() < (0.3 if defence and level >= 1 else 0.03):
            codes.append("aqap-2110")
        language = 0 if italian else 1
        phrases = self.catalogue.phrases
        nadcap_scope: dict[str, str] = {}
        for capability in capabilities:
            for commodity, likelihood in NADCAP_BY_CAPABILITY.get(capability, ()):
                code = f"nadcap-{commodity}"
                if code not in nadcap_scope and rnd() < likelihood * NADCAP_LIKELIHOOD[band]:
                    nadcap_scope[code] = phrases[capability][language]
        codes += nadcap_scope
        issuer = self.weighted(self.issuers)
        trust = self.trust_verified if verified else self.trust_unverified
        scope_items = [phrases[c][language] for c in capabilities[:3]]
        general_scope = (
            f"Progettazione e produzione: {_join(scope_items, last='e')}"
            if italian
            else f"Design and manufacture: {_join(scope_items, last='and')}"
        )
        result: list[Row] = []
        for code in codes:
            if code not in self.catalogue.standards:
                continue
            name, kind = self.catalogue.standards[code]
            serial = self.between(1, 99_999)
            scope = general_scope
            validity: int | None = 1095  # management-system certificates run three years
            cert_issuer = issuer
            if kind == "airworthiness-approval":
                cert_issuer, validity = "ENAC", None
            elif kind == "nadcap-special-process":
                cert_issuer, validity = "PRI Nadcap", self.pick((365, 730))
                scope = f"{name.removeprefix('Nadcap ')}: {nadcap_scope[code]}"
            elif rnd() < 0.1:
                cert_issuer = self.weighted(self.issuers)
            if validity is None:
                issued_on = self.today - timedelta(days=self.between(60, 6_000))
                expires_on = None
            elif rnd() < EXPIRED_SHARE:
                expires_on = self.today - timedelta(days=self.between(1, 900))
                issued_on = expires_on - timedelta(days=validity)
            else:
                expires_on = self.today + timedelta(days=self.between(1, validity))
                issued_on = expires_on - timedelta(days=validity)
            if cert_issuer == "ENAC":
                number = f"IT.{'21G' if code.endswith('21g') else '145'}.{serial % 10_000:04d}"
            elif cert_issuer == "PRI Nadcap":
                number = f"{serial:05d}"
            else:
                number = CERTIFICATE_FORMATS[cert_issuer].format(
                    serial=serial,
                    short=serial % 10_000,
                    year=issued_on.year % 100,
                    extra=serial % 900 + 100,
                )
            verification = self.weighted(trust)
            if verification == "registry-verified" and kind not in REGISTRY_KINDS:
                verification = "cluster-verified"
            result.append(
                {
                    "standard_code": code,
                    "certificate_number": number,
                    "issuer": cert_issuer,
                    "issued_on": issued_on,
                    "expires_on": expires_on,
                    "status": self.weighted(self.statuses),
                    "scope": scope[:1000],
                    "verification": verification,
                }
            )
        return result

    def _description(
        self,
        *,
        italian: bool,
        name: str,
        profile: Profile,
        city: str,
        province: str,
        founded: int,
        capabilities: list[str],
        chains: list[str],
        programs: list[str],
        employees: int,
        en_9100: bool,
    ) -> str:
        """A few sentences in Italian or English naming the capabilities in plain words."""
        rnd, pick = self.rnd, self.pick
        language = 0 if italian else 1
        titanium = "machining.titanium" in capabilities
        merged = titanium and any(c in TITANIUM_PHRASES for c in capabilities)
        phrases = [
            (TITANIUM_PHRASES if titanium and code in TITANIUM_PHRASES else self.catalogue.phrases)[
                code
            ][language]
            for code in capabilities
            if not (merged and code == "machining.titanium")
        ]
        main, more = phrases[:4], phrases[4:]
        variant = 0 if len(chains) > 1 else int(rnd() * 2)
        markets = [CHAIN_NOUNS[c][variant][language] for c in chains if c in CHAIN_NOUNS]
        facts = profile.facts_it if italian else profile.facts_en
        if italian:
            what = _join(main, last="e")
            target = f" per {_join(markets, last='e')}" if markets else ""
            noun, gender = profile.noun_it
            specialised = "specializzata" if gender == "f" else "specializzato"
            sentences = [
                pick(
                    (
                        f"{noun} con sede a {city} ({province}), {specialised} in {what}{target}.",
                        f"{name} si occupa di {what}{target}.",
                        f"Dal {founded} {name} offre {what}{target}.",
                        f"{name}, a {city}, è specializzata in {what}{target}.",
                    )
                )
            ]
            if more:
                sentences.append(f"Offre inoltre {_join(more, last='e')}.")
            if facts and rnd() < 0.5:
                sentences.append(pick(facts))
            if programs and rnd() < 0.6:
                tags = _join(programs[:3], last="e")
                article = "il programma" if len(programs) == 1 else "i programmi"
                sentences.append(f"Fornisce componenti e servizi per {article} {tags}.")
            if en_9100 and rnd() < 0.5:
                sentences.append("Sistema qualità certificato EN 9100.")
            if rnd() < 0.3:
                sentences.append(f"Conta {employees} addetti.")
        else:
            what = _join(main, last="and")
            target = f" for {_join(markets, last='and')}" if markets else ""
            sentences = [
                pick(
                    (
                        f"{profile.noun_en} based in {city} ({province}), "
                        f"specialising in {what}{target}.",
                        f"{name} provides {what}{target}.",
                        f"Since {founded}, {name} has offered {what}{target}.",
                        f"{name}, located in {city}, specialises in {what}{target}.",
                    )
                )
            ]
            if more:
                sentences.append(f"It also offers {_join(more, last='and')}.")
            if facts and rnd() < 0.5:
                sentences.append(pick(facts))
            if programs and rnd() < 0.6:
                tags = _join(programs[:3], last="and")
                noun = "programme" if len(programs) == 1 else "programmes"
                sentences.append(f"It supplies parts and services to the {tags} {noun}.")
            if en_9100 and rnd() < 0.5:
                sentences.append("EN 9100 certified quality system.")
            if rnd() < 0.3:
                sentences.append(f"It employs {employees} people.")
        return " ".join(sentences)


# ---------------------------------------------------------------- database


def _live_identities(conn: Connection) -> tuple[set[str], set[str]]:
    """VAT numbers and names of the suppliers already in the database (not deleted)."""
    vats: set[str] = set()
    names: set[str] = set()
    live = SUPPLIER.c.deleted_at.is_(None)
    for vat, name in conn.execute(select(SUPPLIER.c.vat_number, SUPPLIER.c.name).where(live)):
        vats.add(vat)
        names.add(name)
    return vats, names


def _generated_apart(generator: "_Generator", *, first_id: int | None) -> Iterator[_Batch]:
    """The generator's batches, drawn in a child process: generation (pure Python) overlaps
    the writing, on another core, without competing for this process's GIL."""
    context = multiprocessing.get_context("fork")
    queue: Any = context.Queue(maxsize=4)

    def produce() -> None:
        try:
            for batch in generator.batches(first_id=first_id):
                queue.put(batch)
            queue.put(None)
        except BaseException as exc:  # handed to the parent, which raises it
            queue.put(exc)

    child = context.Process(target=produce, name="seed-demo-generator", daemon=True)
    child.start()
    try:
        while (batch := queue.get()) is not None:
            if isinstance(batch, BaseException):
                raise batch
            yield batch
    finally:
        if child.is_alive():
            child.terminate()
        child.join()
        queue.close()


def _write_batches(engine: Engine, *, batches: Iterator[_Batch], writers: int) -> int:
    """Write batches, one transaction each, from this thread (writers=1) or from `writers`
    threads (PostgreSQL: the server's share dominates, and backends split it); returns the
    employees written."""
    if writers == 1:
        employees = 0
        with engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:  # the indexes of a large registry stay in memory as it grows
                cache = conn.exec_driver_sql("PRAGMA cache_size").scalar()
                conn.exec_driver_sql(f"PRAGMA cache_size={-SQLITE_CACHE_KIB}")
                conn.commit()
            try:
                # SQLite: a few batches per transaction. Each commit appends every page it
                # changed to the WAL, and the indexes on random keys (names, VAT numbers)
                # change pages all over: fewer commits write far fewer pages.
                per_transaction = SQLITE_BATCHES_PER_TRANSACTION if sqlite else 1
                while group := list(islice(batches, per_transaction)):
                    with conn.begin():
                        for batch in group:
                            write(conn, batch.writes, records=False)
                    employees += sum(batch.employees for batch in group)
            finally:
                if sqlite:
                    conn.rollback()
                    conn.exec_driver_sql(f"PRAGMA cache_size={cache}")
                    conn.commit()
        return employees
    queue: Queue[_Batch | None] = Queue(maxsize=2 * writers)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with engine.connect() as conn:
                while (batch := queue.get()) is not None:
                    if not failures:
                        with conn.begin():
                            write(conn, batch.writes, records=False)
        except BaseException as exc:  # re-raised by the generating thread
            failures.append(exc)
            while queue.get() is not None:  # keep draining so the producer never blocks
                pass

    threads = [Thread(target=work, name=f"seed-demo-{i}", daemon=True) for i in range(writers)]
    for thread in threads:
        thread.start()
    employees = 0
    try:
        for batch in batches:
            if failures:
                break
            queue.put(batch)
            employees += batch.employees
    finally:
        for _ in threads:
            queue.put(None)
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return employees


def _reserve_ids_postgresql(conn: Connection, *, count: int) -> int:
    """Move the supplier id sequence past `count` ids of our own; returns the first of them."""
    # The lock (until commit) keeps concurrent inserts from drawing ids in the meantime.
    conn.exec_driver_sql("LOCK TABLE supplier IN SHARE ROW EXCLUSIVE MODE")
    sequence = conn.exec_driver_sql("SELECT pg_get_serial_sequence('supplier', 'id')").scalar()
    highest = conn.scalar(select(func.coalesce(func.max(SUPPLIER.c.id), 0)))
    if sequence:
        last, called = conn.exec_driver_sql(f"SELECT last_value, is_called FROM {sequence}").one()
        highest = max(highest, last if called else last - 1)
        if count:
            conn.execute(sa.select(func.setval(sequence, highest + count)))
    return highest + 1


def seed_demo(*, engine: Engine, suppliers: int = 200, seed: int = 42) -> DemoSummary:
    """Append `suppliers` deterministic demo suppliers to a migrated database."""
    # One transaction per batch of BATCH_SIZE suppliers (the service keeps serving between
    # them; an error part-way keeps the batches already written), then fresh statistics.
    started = time.perf_counter()
    postgresql = engine.dialect.name == "postgresql"
    with engine.begin() as conn:
        # PostgreSQL: a range of ids reserved now, so ids follow generation order whichever
        # writer writes a batch. SQLite (one writer): drawn by each batch's transaction.
        first_id = _reserve_ids_postgresql(conn, count=suppliers) if postgresql else None
        taken_vats, taken_names = _live_identities(conn)
        catalogue = _read_catalogue(conn)
    generator = _Generator(
        seed=seed,
        total=suppliers,
        today=datetime.now(UTC).date(),
        catalogue=catalogue,
        taken_vats=taken_vats,
        taken_names=taken_names,
    )
    writer = engine if postgresql else engine.execution_options(**{SQLITE_WRITE_INTENT: True})
    batches = (
        _generated_apart(generator, first_id=first_id)
        if suppliers >= GENERATE_APART
        else generator.batches(first_id=first_id)
    )
    employees = _write_batches(writer, batches=batches, writers=WRITERS if postgresql else 1)
    with engine.begin() as conn:
        refresh_statistics(conn)
    return DemoSummary(
        suppliers=suppliers, employees=employees, seconds=time.perf_counter() - started
    )

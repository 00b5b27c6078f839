"""Identity checks for suppliers: VAT numbers and Italian province codes."""

import re

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.it import iva

# Sigle automobilistiche of the Italian provinces and metropolitan cities, plus the Sardinian
# codes still found in company registers (CI, OG, OT, VS).
PROVINCES = frozenset(
    [
        "AG",
        "AL",
        "AN",
        "AO",
        "AP",
        "AQ",
        "AR",
        "AT",
        "AV",
        "BA",
        "BG",
        "BI",
        "BL",
        "BN",
        "BO",
        "BR",
        "BS",
        "BT",
        "BZ",
        "CA",
        "CB",
        "CE",
        "CH",
        "CI",
        "CL",
        "CN",
        "CO",
        "CR",
        "CS",
        "CT",
        "CZ",
        "EN",
        "FC",
        "FE",
        "FG",
        "FI",
        "FM",
        "FR",
        "GE",
        "GO",
        "GR",
        "IM",
        "IS",
        "KR",
        "LC",
        "LE",
        "LI",
        "LO",
        "LT",
        "LU",
        "MB",
        "MC",
        "ME",
        "MI",
        "MN",
        "MO",
        "MS",
        "MT",
        "NA",
        "NO",
        "NU",
        "OG",
        "OR",
        "OT",
        "PA",
        "PC",
        "PD",
        "PE",
        "PG",
        "PI",
        "PN",
        "PO",
        "PR",
        "PT",
        "PU",
        "PV",
        "PZ",
        "RA",
        "RC",
        "RE",
        "RG",
        "RI",
        "RM",
        "RN",
        "RO",
        "SA",
        "SI",
        "SO",
        "SP",
        "SR",
        "SS",
        "SU",
        "SV",
        "TA",
        "TE",
        "TN",
        "TO",
        "TP",
        "TR",
        "TS",
        "TV",
        "UD",
        "VA",
        "VB",
        "VC",
        "VE",
        "VI",
        "VR",
        "VS",
        "VT",
        "VV",
    ]
)

# Format (not checksum) of the other EU member states' VAT numbers, after the country prefix.
EU_VAT_FORMATS = {
    "AT": r"U\d{8}",
    "BE": r"[01]\d{9}",
    "BG": r"\d{9,10}",
    "CY": r"\d{8}[A-Z]",
    "CZ": r"\d{8,10}",
    "DE": r"\d{9}",
    "DK": r"\d{8}",
    "EE": r"\d{9}",
    "EL": r"\d{9}",
    "ES": r"[A-Z0-9]\d{7}[A-Z0-9]",
    "FI": r"\d{8}",
    "FR": r"[A-HJ-NP-Z0-9]{2}\d{9}",
    "HR": r"\d{11}",
    "HU": r"\d{8}",
    "IE": r"\d[A-Z0-9+*]\d{5}[A-Z]{1,2}",
    "LT": r"\d{9}|\d{12}",
    "LU": r"\d{8}",
    "LV": r"\d{11}",
    "MT": r"\d{8}",
    "NL": r"\d{9}B\d{2}",
    "PL": r"\d{10}",
    "PT": r"\d{9}",
    "RO": r"\d{2,10}",
    "SE": r"\d{10}01",
    "SI": r"\d{8}",
    "SK": r"\d{10}",
    "XI": r"\d{9}|\d{12}|GD\d{3}|HA\d{3}",
}
_SEPARATORS = re.compile(r"[\s.\-/]")


def normalize_vat(value: str) -> str:
    """Canonical form `CC` + number; an Italian Partita IVA must have a valid check digit.

    Eleven bare digits are read as an Italian Partita IVA. Other EU numbers are checked by
    format only (no VIES look-up). Raises ValueError with a readable reason.
    """
    compact = _SEPARATORS.sub("", value).upper()
    if not compact.isascii():  # `isdigit` and `\d` would take other scripts' digits
        raise ValueError("VAT number must use ASCII letters and digits only")
    if compact.isdigit() and len(compact) == 11:
        compact = "IT" + compact
    country, number = compact[:2], compact[2:]
    if country == "IT":
        try:
            iva.validate(number)
        except StdnumError as exc:
            raise ValueError(
                "invalid Partita IVA: expected IT followed by 11 digits with a valid check digit"
            ) from exc
        return compact
    return eu_vat(
        country,
        number,
        not_eu="VAT number must start with an EU country code such as IT, DE or FR",
    )


def eu_vat(country: str, number: str, *, not_eu: str) -> str:
    """`country` + `number` if shaped as that EU country's VAT number (Greece's `GR` written
    `EL`); a ValueError saying `not_eu` if `country` is no EU country code."""
    if country == "GR":
        country = "EL"
    pattern = EU_VAT_FORMATS.get(country)
    if pattern is None:
        raise ValueError(not_eu)
    if not re.fullmatch(pattern, number):
        raise ValueError(f"not a valid {country} VAT number format")
    return country + number


def validate_province(value: str) -> str:
    code = value.strip().upper()
    if code not in PROVINCES:
        raise ValueError("unknown Italian province code (use the 2-letter sigla, e.g. VA, MI)")
    return code

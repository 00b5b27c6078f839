"""EU SME size classes (Commission Recommendation 2003/361/EC), from headcount and turnover.

Only headcount and annual turnover are known here (not the balance sheet), so a company is
placed in the smallest class whose headcount ceiling and turnover ceiling it respects. With an
unknown turnover the headcount alone decides; with an unknown headcount there is no class.
"""

MICRO, SMALL, MEDIUM, LARGE = "micro", "small", "medium", "large"
SIZE_CLASSES = (MICRO, SMALL, MEDIUM, LARGE)

# (class, employees strictly below, turnover at most in euro)
THRESHOLDS = (
    (MICRO, 10, 2_000_000),
    (SMALL, 50, 10_000_000),
    (MEDIUM, 250, 50_000_000),
)


def size_class(employees: int | None, annual_revenue_eur: int | None) -> str | None:
    """The class the database computes too (see SIZE_CLASS_SQL); used by the demo generator."""
    if employees is None:
        return None
    for name, max_staff, max_turnover in THRESHOLDS:
        if employees < max_staff and (
            annual_revenue_eur is None or annual_revenue_eur <= max_turnover
        ):
            return name
    return LARGE


SIZE_CLASS_SQL = (
    "CASE WHEN employees IS NULL THEN NULL "
    + " ".join(
        f"WHEN employees < {staff} AND "
        f"(annual_revenue_eur IS NULL OR annual_revenue_eur <= {turnover}) THEN '{name}'"
        for name, staff, turnover in THRESHOLDS
    )
    + f" ELSE '{LARGE}' END"
)

"""The roles an API key carries."""

from typing import Literal

Role = Literal["admin", "buyer", "partner", "supplier"]
ROLES: tuple[Role, ...] = ("admin", "buyer", "partner", "supplier")

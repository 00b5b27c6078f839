"""Service settings, read from the environment (and an optional `.env` file)."""

import ipaddress
from functools import lru_cache
from typing import Annotated, Literal

from limits import parse
from pydantic import BeforeValidator, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


# A setting listing values, comma-separated (not JSON); empty by default.
CommaList = Annotated[
    list[str], NoDecode, BeforeValidator(_split_list), Field(default_factory=list)
]


class Settings(BaseSettings):
    """All configuration in one place; every field can be set by an environment variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./escouting.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    db_pool_size: int = Field(default=10, ge=1)
    db_pool_timeout: float = Field(
        default=10, gt=0, description="Seconds a request waits for a pooled connection (503 after)."
    )
    db_connect_timeout: int = Field(
        default=5, ge=1, description="Seconds to wait for PostgreSQL to accept a connection."
    )
    db_echo: bool = False
    max_concurrent_requests: int = Field(
        default=4,
        ge=1,
        description="Requests one worker works on at once; the others wait (up to "
        "DB_POOL_TIMEOUT, then 503) without holding a thread or a database connection. Keep it "
        "at most 2 x DB_POOL_SIZE.",
    )
    request_deadline_seconds: float = Field(
        default=5,
        gt=0,
        le=600,
        description="Longest a search, facet, scouting or matching request may spend in the "
        "database; past it the statement is cut off and the caller gets 503 with Retry-After.",
    )
    api_title: str = "Lombardia Aerospace Cluster: supplier e-scouting API"
    secret_key: str = Field(
        default="",
        description="Signs paging cursors: a long random value, the same on every worker. "
        "Required except on the embedded SQLite database, where one is generated and kept in "
        "`<database file>.secret`.",
    )
    trusted_proxies: CommaList = Field(
        description="Reverse proxies (IP addresses or CIDR networks, comma-separated) whose "
        "`X-Forwarded-For` names the client; empty: the direct peer is the client.",
    )
    metrics_token: str | None = Field(
        default=None,
        min_length=16,
        description="Bearer token that may read `GET /metrics` besides admin keys; unset: "
        "admin keys only.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1,
        description="Largest request body accepted (bytes); larger ones get 413.",
    )
    import_max_bytes: int = Field(
        default=536_870_912,
        ge=1,
        description="Largest file `POST /suppliers/import` accepts (bytes); it is spooled to a "
        "temporary file, not held in memory.",
    )
    cors_allow_origins: CommaList = Field(
        description="Browser origins allowed to call the API (CORS), comma-separated; "
        "empty: no cross-origin browser access.",
    )

    redis_url: str | None = Field(
        default=None,
        description="Redis for state every worker must share (rate-limit budgets), e.g. "
        "redis://127.0.0.1:6379/0; unset: kept in each worker's memory.",
    )
    rate_limit_enabled: bool = Field(
        default=True, description="Throttle callers (429); false for benchmarks."
    )
    rate_limit_anonymous: str = Field(
        default="120/minute",
        description="Budget of each client address without a key (`limits` notation).",
    )
    rate_limit_key: str = Field(default="1200/minute", description="Budget of each API key.")
    rate_limit_auth_failures: str = Field(
        default="20/minute",
        description="Requests with an unknown, revoked or expired key allowed per address.",
    )

    search_warm_up: bool = Field(
        default=True,
        description="Build the search index when a worker starts (`/readyz` answers 503 until "
        "it is built); false: the first search builds it.",
    )
    search_snapshot_dir: str = Field(
        default="auto",
        description="Where workers keep a snapshot of the search index, so a restart loads it "
        "and follows the change feed instead of rebuilding: a directory, `auto` (beside a "
        "SQLite file as `<file>.search`, else in the temporary directory) or `off`.",
    )
    webhooks_worker_enabled: bool = Field(
        default=True,
        description="Run the webhook delivery worker in each API process (a background "
        "thread); false when `escouting webhooks-worker` runs it on its own.",
    )
    webhooks_poll_seconds: float = Field(
        default=2, gt=0, le=3600, description="Seconds the idle webhook worker waits between polls."
    )
    webhooks_timeout_seconds: float = Field(
        default=5,
        gt=0,
        le=60,
        description="Seconds one webhook delivery may take in all (look-up, connect, answer).",
    )
    webhooks_max_attempts: int = Field(
        default=20, ge=1, le=100, description="Attempts before a delivery is given up (failed)."
    )
    webhooks_backoff_base_seconds: float = Field(
        default=10, gt=0, description="Wait after the first failed attempt; doubles each time."
    )
    webhooks_backoff_max_seconds: float = Field(
        default=3600, gt=0, description="Longest wait between two attempts."
    )
    webhooks_allow_http_loopback: bool = Field(
        default=False,
        description="Development only: allow webhook URLs on loopback addresses, over http too.",
    )
    webhooks_resolve_timeout_seconds: float = Field(
        default=2, gt=0, le=30, description="Seconds to wait for a webhook host name to resolve."
    )
    webhooks_max_per_key: int = Field(
        default=10, ge=1, description="Live webhook subscriptions one API key may hold."
    )
    webhooks_retention_days: int = Field(
        default=30,
        ge=0,
        description="Days delivered and failed deliveries stay in the log; 0 keeps them forever.",
    )

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="Least severe log level written."
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="`json`: one object per line; `console`: for humans."
    )

    @field_validator("rate_limit_anonymous", "rate_limit_key", "rate_limit_auth_failures")
    @classmethod
    def _valid_limit(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit such as '100/minute': {exc}") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        try:
            return [str(ipaddress.ip_network(item, strict=False)) for item in value]
        except ValueError as exc:
            raise ValueError(f"not an IP address or CIDR network: {exc}") from None

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _unset_if_empty(cls, value: object) -> object:
        return None if value == "" else value


@lru_cache
def get_settings() -> Settings:
    return Settings()

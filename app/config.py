"""Service settings, read from the environment (and an optional `.env` file)."""

from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """All configuration in one place; every field can be set by an environment variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///./escouting.db",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    db_pool_size: int = Field(default=10, ge=1)
    db_echo: bool = False
    api_title: str = "Lombardia Aerospace Cluster: supplier e-scouting API"
    secret_key: str = Field(
        default="dev-only-change-me",
        description="Signs paging cursors; set the same value on every worker in production.",
    )
    search_count_cache_size: int = Field(
        default=1024,
        ge=0,
        description="Search totals and facet counts kept per worker until the data changes "
        "(entries); 0 turns the cache off.",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1,
        description="Largest request body accepted (bytes); larger ones get 413.",
    )
    cors_allow_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Browser origins allowed to call the API (CORS), comma-separated; "
        "empty: no cross-origin browser access.",
    )
    search_ranking_cache_size: int = Field(
        default=256,
        ge=0,
        description="Heads of relevance rankings (first 200 rows each) kept per worker until "
        "the data changes (entries); 0 turns the cache off.",
    )

    @field_validator("cors_allow_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    return Settings()

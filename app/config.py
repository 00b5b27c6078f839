"""Service settings, read from the environment (and an optional `.env` file)."""

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    search_ranking_cache_size: int = Field(
        default=256,
        ge=0,
        description="Heads of relevance rankings (first 200 rows each) kept per worker until "
        "the data changes (entries); 0 turns the cache off.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()

"""Application configuration with environment variables."""

from functools import lru_cache

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Application settings loaded from environment."""

    model_config = SettingsConfigDict(env_file=".env", case_sensitive=False)

    # Database
    database_url: str
    db_pool_size: int = 5
    db_max_overflow: int = 10

    # Redis (Celery broker and result backend)
    redis_url: str

    # Application
    environment: str = "development"
    log_level: str = "INFO"
    secret_key: str


@lru_cache
def get_settings() -> Settings:
    """Get cached settings instance."""
    return Settings()

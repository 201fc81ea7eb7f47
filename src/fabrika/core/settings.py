"""Settings from the environment (twelve-factor): every value has a FABRIKA_ variable."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration shared by every Fabrika process."""

    model_config = SettingsConfigDict(env_prefix="FABRIKA_", extra="ignore")

    database_url: str = "postgresql://postgres@127.0.0.1:5432/fabrika"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = Field("fabrika", description="Namespaces keys so test runs never collide.")
    cache_enabled: bool = True

    host: str = "127.0.0.1"
    shop_port: int = 8080
    b2b_port: int = 8081
    ops_port: int = 8090
    internal_port: int = 8070
    stats_port: int = 8404
    smtp_port: int = 8025
    service_port_base: int = 9100

    run_dir: Path = Path(".run")
    autoscale: bool = True
    confirm_timeout_s: float = 24 * 3600
    # Every order ends ACCEPTED or CANCELLED within its channel's deadline from submission;
    # the reserve is the time kept at the end for compensating and telling the customer.
    shop_deadline_s: float = 26 * 3600
    b2b_deadline_s: float = 3600
    compensation_reserve_s: float = 30
    demo_b2b_key: str | None = None
    mail_from: str = "Fabrika <orders@fabrika.local>"
    # Where mail goes (the relay; in development the SMTP sink) and where customers' links
    # point; empty means FABRIKA_HOST and the local entry ports.
    smtp_host: str = ""
    public_shop_url: str = ""
    public_b2b_url: str = ""
    max_model_bytes: int = 100 * 1024 * 1024
    http_timeout_s: float = 10.0
    log_level: str = "INFO"
    application_version: str = "1"

    def deadline_s(self, channel: str) -> float:
        return self.b2b_deadline_s if channel == "b2b" else self.shop_deadline_s

    @property
    def internal_url(self) -> str:
        """Where services reach each other: the gateway's internal entry."""
        return f"http://{self.host}:{self.internal_port}"

    @property
    def shop_url(self) -> str:
        return self.public_shop_url or f"http://{self.host}:{self.shop_port}"

    @property
    def b2b_url(self) -> str:
        return self.public_b2b_url or f"http://{self.host}:{self.b2b_port}"

    @property
    def mail_relay_host(self) -> str:
        return self.smtp_host or self.host

    @property
    def sqlalchemy_url(self) -> str:
        """The asyncpg flavour of the database URL, for SQLAlchemy's async engine."""
        return _with_driver(self.database_url, "postgresql+asyncpg")

    @property
    def dbos_url(self) -> str:
        """DBOS keeps its system tables (schema `dbos`) in the same database."""
        return _with_driver(self.database_url, "postgresql")


def _with_driver(url: str, driver: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{driver}://{rest}" if scheme.startswith("postgres") else url


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once from the environment."""
    return Settings()

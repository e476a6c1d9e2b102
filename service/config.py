"""Service settings, read from the environment (prefix ``ACCESSMATCH_``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from limits import parse as parse_rate_limit
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Used only in demo mode; anywhere else the service refuses to start with it.
DEMO_SECRET_KEY = "accessmatch-demo-secret-do-not-use-in-production"
DEMO_ADMIN_KEY = "demo-admin-key"
MIN_SECRET_LENGTH = 32


class ConfigurationError(RuntimeError):
    """The settings cannot run a safe service."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ACCESSMATCH_", extra="ignore")

    database_url: str = "sqlite:///./var/accessmatch.db"
    admin_key: SecretStr | None = None
    secret_key: SecretStr | None = None
    old_secret_keys: list[SecretStr] = Field(
        default_factory=list,
        description="previous secrets (JSON list): still decrypt, "
        "until `accessmatch rotate-secrets` has run",
    )
    demo: bool = False
    rate_limit: str = "1200/minute"
    rate_limit_storage: str = "memory://"
    registration_conflict_limit: str = "20/hour"
    rules_file: Path | None = None
    matching_policy_file: Path | None = None
    scorer_dir: Path | None = None
    index_poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # How often each process looks for a newly activated model (one cheap SELECT).
    model_poll_seconds: float = Field(default=2.0, gt=0, le=60)
    key_cache_seconds: float = Field(default=2.0, ge=0, le=60)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    idempotency_ttl_seconds: float = Field(default=24 * 3600, gt=0)
    # A database that is down or does not answer costs a request at most about these
    # (503 then), never a hang.
    db_connect_timeout_seconds: float = Field(default=3.0, gt=0, le=60)
    db_statement_timeout_seconds: float = Field(default=5.0, gt=0, le=3600)
    db_pool_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # The match index's full build (every open vacancy and seeker) in the background.
    db_build_timeout_seconds: float = Field(default=300.0, gt=0, le=86400)
    # A claim in flight is renewed every third of this; once it runs out (its process
    # died), a retry with the same Idempotency-Key takes it over.
    idempotency_lease_seconds: float = Field(default=10.0, ge=0.5, le=3600)
    # Statistics: a count of people below this is suppressed (service/stats/suppression).
    stats_threshold: int = Field(default=5, ge=2, le=100)
    # A stored statistic answers again while nothing was written, and at most this long
    # (a bound for a write whose generation move was lost); 0: always compute afresh.
    stats_summary_max_age_seconds: int = Field(default=3600, ge=0, le=86400)
    log_level: str = "INFO"
    log_json: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    workers: int = Field(default=1, ge=1)

    @field_validator("rate_limit", "registration_conflict_limit")
    @classmethod
    def _rate_limit_parses(cls, value: str) -> str:
        try:
            parse_rate_limit(value)
        except ValueError as exc:
            raise ValueError(f"not a rate limit such as '1200/minute': {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _secrets_are_safe(self) -> Settings:
        if self.demo:
            if self.secret_key is None:
                self.secret_key = SecretStr(DEMO_SECRET_KEY)
            if self.admin_key is None:
                self.admin_key = SecretStr(DEMO_ADMIN_KEY)
            return self
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if not secret:
            raise ConfigurationError(
                "ACCESSMATCH_SECRET_KEY is not set; set a random string of at least "
                f"{MIN_SECRET_LENGTH} characters (or ACCESSMATCH_DEMO=true for a local demo)"
            )
        if secret == DEMO_SECRET_KEY:
            raise ConfigurationError(
                "ACCESSMATCH_SECRET_KEY is the demo secret; outside demo "
                "mode use a secret of your own"
            )
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigurationError(
                f"ACCESSMATCH_SECRET_KEY must have at least {MIN_SECRET_LENGTH} characters"
            )
        if self.admin_key is not None and self.admin_key.get_secret_value() == DEMO_ADMIN_KEY:
            raise ConfigurationError("ACCESSMATCH_ADMIN_KEY is the demo key; choose your own")
        return self

    @property
    def old_secrets(self) -> tuple[str, ...]:
        return tuple(s.get_secret_value() for s in self.old_secret_keys)

    @property
    def secret(self) -> str:
        assert self.secret_key is not None  # guaranteed by the validator
        return self.secret_key.get_secret_value()


@lru_cache
def get_settings() -> Settings:
    return Settings()

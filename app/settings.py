"""One typed settings object, read from ``BRIDGEWAY_*`` environment variables once in ``create_app``."""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path
from typing import Literal

from limits import parse
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rooms.moderation.hooks import DEFAULT_HOOKS
from translation.argos_batch import Decoding
from translation.worker import WorkerOptions


class SettingsError(Exception):
    """A configuration problem worth one clear line to the operator."""


class Settings(BaseSettings):
    """Deployment configuration. See the README's configuration table for each field."""

    model_config = SettingsConfigDict(env_prefix="BRIDGEWAY_", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Path("bridgeway-data")
    database_url: str = ""
    broker_url: str = "memory://"
    secret_key: SecretStr | None = None
    base_url: str = "http://127.0.0.1:8000"
    trusted_origins: list[str] = Field(default_factory=list)
    cookie_secure: bool | None = None

    translation_backend: Literal["argos", "off"] = "argos"
    translation_packages_dir: Path | None = None
    translation_workers: int = Field(default=2, ge=1, le=32)
    translation_threads: int = Field(default=1, ge=1, le=64)
    translation_timeout: float = Field(default=10.0, gt=0, le=120)
    translation_beam_size: int = Field(default=1, ge=1, le=8)
    translation_max_tokens: int = Field(default=256, ge=8, le=1024)
    translation_batch_size: int = Field(default=32, ge=1, le=256)
    translation_batch_wait_ms: float = Field(default=10.0, ge=0, le=1000)
    translation_max_queue: int = Field(default=128, ge=1, le=100_000)
    translation_max_wait_ms: float = Field(default=1000.0, gt=0, le=60_000)
    translation_queue_url: str = ""
    translation_claim_seconds: float = Field(default=5.0, gt=0)
    translation_nice: int = Field(default=10, ge=0, le=19)
    translation_device: Literal["cpu", "cuda", "auto"] = "cpu"

    max_body_bytes: int = Field(default=1_000_000, ge=1024)
    ws_max_size: int = Field(default=64 * 1024, ge=1024, le=1024 * 1024)
    ws_per_message_deflate: bool = False
    ws_send_queue: int = Field(default=256, ge=8)
    max_message_chars: int = Field(default=2000, ge=1)
    message_rate: str = "20/10 seconds"
    login_rate: str = "5/minute"
    login_lockout_failures: int = Field(default=10, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    room_size: int = Field(default=2, ge=2, le=4)
    repair_grace_seconds: float = Field(default=30.0, ge=0)
    reconnect_grace_seconds: float = Field(default=20.0, ge=0)
    join_code_days: int = Field(default=30, ge=1)
    retention_days: int = Field(default=365, ge=1)
    write_batch_max: int = Field(default=500, ge=1)
    # PostgreSQL only: a batch the message writer was idle for waits this long (or for 32 messages) before its
    # commit, so that light load commits several messages at a time (docs/performance.md, "Group commit").
    write_batch_wait_ms: float = Field(default=5.0, ge=0, le=50)
    gc_tuning: bool = True  # freeze the start-up heap and collect less often (app/gc_tuning.py)
    moderation_hooks: list[str] = Field(default_factory=lambda: list(DEFAULT_HOOKS))
    moderation_extra_words: list[str] = Field(default_factory=list)
    moderation_contact_action: Literal["block", "mask"] = "block"
    moderation_flood_messages: int = Field(default=8, ge=1)
    moderation_flood_seconds: float = Field(default=10.0, gt=0)
    moderation_link_allowlist: list[str] = Field(default_factory=list)
    smtp_url: SecretStr | None = None
    # -- security hardening (issue 16); see docs/security.md --
    forwarded_allow_ips: list[str] = Field(default_factory=list)
    login_backoff_seconds: int = Field(default=60, ge=1)
    staff_session_check_seconds: float = Field(default=5.0, gt=0)
    header_timeout: float = Field(default=10.0, gt=0)
    max_connections: int = Field(default=1000, ge=10)
    keep_alive_timeout: int = Field(default=5, ge=1)
    retention_interval_hours: float = Field(default=6.0, gt=0)
    smtp_retry_seconds: float = Field(default=30.0, gt=0)
    smtp_retry_attempts: int = Field(default=8, ge=1)
    scheduler_interval: float = Field(default=5.0, gt=0)
    auto_migrate: bool = True
    # Room lifecycle (issue 13): presence heartbeat and the cross-country wait of the lobby.
    heartbeat_interval_seconds: float = Field(default=5.0, gt=0)
    heartbeat_timeout_seconds: float = Field(default=15.0, gt=0)
    cross_country_wait_seconds: float = Field(default=10.0, ge=0)
    same_country_rooms: bool = True

    # Joining (see the README): wrong class codes are limited per address, successful joins per code and session.
    join_failure_rate: str = "10/minute"
    join_code_rate: str = "60/minute"
    join_session_rate: str = "120/minute"
    join_rate: str | None = Field(default=None, exclude=True, repr=False)  # removed: refused with a pointer

    @field_validator("join_rate")
    @classmethod
    def _removed_join_rate(cls, value: str | None) -> str | None:
        if value is not None:
            raise ValueError(
                "removed: joins are no longer limited per address; use BRIDGEWAY_JOIN_FAILURE_RATE (wrong class codes "
                "per address), BRIDGEWAY_JOIN_CODE_RATE and BRIDGEWAY_JOIN_SESSION_RATE (see the README)"
            )
        return value

    @field_validator("message_rate", "join_failure_rate", "join_code_rate", "join_session_rate")
    @classmethod
    def _check_rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError:
            raise ValueError(f"not a rate: {value!r} (expected e.g. 10/minute or 60 per 5 minutes)") from None
        return value

    @field_validator("translation_queue_url")
    @classmethod
    def _check_translation_queue_url(cls, value: str) -> str:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(f"not a Redis URL: {value!r} (empty: translate in this process; redis://...: workers)")
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and "://" not in value:
            raise ValueError(f"not a database URL: {value!r} (expected e.g. sqlite:///path or postgresql://...)")
        return value

    @model_validator(mode="after")
    def _fill_defaults(self) -> Settings:
        if not self.database_url:
            self.database_url = f"sqlite:///{(self.data_dir / 'bridgeway.db').resolve()}"
        if self.translation_packages_dir is None:
            self.translation_packages_dir = self.data_dir / "argos-packages"
        if self.cookie_secure is None:
            self.cookie_secure = self.env == "production"
        return self

    def unreachable_flood_limit(self) -> str | None:
        """Why the flood setting can never block anything, or None.

        The per-student message rate refuses sends (error ``rate_limited``, nothing stored) before moderation
        sees them, so a flood limit at or above what that rate lets through in the flood window never fires:
        ``BRIDGEWAY_MODERATION_FLOOD_MESSAGES=100`` alone still stops a student after 20 messages in 10 s.
        """
        rate = parse(self.message_rate)
        windows = max(1, math.ceil(self.moderation_flood_seconds / rate.get_expiry()))
        if self.moderation_flood_messages < rate.amount * windows:
            return None
        return (
            f"BRIDGEWAY_MODERATION_FLOOD_MESSAGES={self.moderation_flood_messages} in "
            f"{self.moderation_flood_seconds:g} s never blocks: BRIDGEWAY_MESSAGE_RATE={self.message_rate} refuses a "
            "student's messages first (rate_limited); raise both to let students send more"
        )

    @property
    def packages_dir(self) -> Path:
        assert self.translation_packages_dir is not None
        return self.translation_packages_dir

    @property
    def translation_decoding(self) -> Decoding:
        """CTranslate2 decoding options for chat (beam size, batch size, output length cap)."""
        return Decoding(
            beam_size=self.translation_beam_size,
            max_batch_size=self.translation_batch_size,
            max_length=self.translation_max_tokens,
        )

    @property
    def translation_worker_options(self) -> WorkerOptions:
        """How a `bridgeway translation-worker` translates, from the same settings as the server's threads."""
        return WorkerOptions(
            intra_threads=self.translation_threads,
            decoding=self.translation_decoding,
            device=self.translation_device,
            batch_wait=self.translation_batch_wait_ms / 1000,
            claim_idle=self.translation_claim_seconds,
            nice=self.translation_nice,
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def resolve_secret(self) -> str:
        """Return the signing key; in development create one under data_dir and keep it across restarts."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        if self.env == "production":
            raise SettingsError("BRIDGEWAY_SECRET_KEY is required when BRIDGEWAY_ENV=production")
        path = self.data_dir / "secret_key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        # Created 0600 from the start: write-then-chmod would leave the key readable for a moment.
        with os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as out:
            out.write(key)
        return key


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one clear line."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"BRIDGEWAY_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid configuration: {problems}") from None

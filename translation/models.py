"""Database table for persisted translations (the second level of the translation cache)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


class Translation(SQLModel, table=True):
    """One translated text, keyed by the source text's SHA-256, the language pair and the model version."""

    __table_args__ = (UniqueConstraint("text_hash", "source", "target", "model_version", name="uq_translation_key"),)

    id: int | None = Field(default=None, primary_key=True)
    text_hash: str = Field(max_length=64, index=True)  # sha256 hex of the source text; the text is not stored
    source: str = Field(max_length=16)
    target: str = Field(max_length=16)
    model_version: str = Field(max_length=64)
    translated_text: str
    created_at: datetime = Field(default_factory=_now)

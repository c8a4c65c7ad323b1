"""A class's calendar feed address: signed by this server, read back to the class it names, refused when forged."""

from __future__ import annotations

from pathlib import Path

import pytest
from itsdangerous import URLSafeSerializer

from app.schools.calendar_feed import SALT, feed_class_id, feed_token, feed_url
from app.settings import Settings
from tests.conftest import make_settings


@pytest.fixture
def feed_settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path, base_url="https://bridgeway.example/")


async def test_calendar_feed_token_names_its_class(feed_settings: Settings) -> None:
    token = await feed_token(feed_settings, 42)
    assert await feed_class_id(feed_settings, token) == 42
    assert await feed_url(feed_settings, 42) == f"https://bridgeway.example/ics/{token}.ics"


async def test_calendar_feed_refuses_tokens_it_did_not_sign(feed_settings: Settings, tmp_path: Path) -> None:
    other_server = make_settings(tmp_path / "other", secret_key="another-server-secret-key-entirely")
    token = await feed_token(other_server, 42)
    assert await feed_class_id(feed_settings, token) is None
    assert await feed_class_id(feed_settings, (await feed_token(feed_settings, 42))[:-2] + "xx") is None


async def test_calendar_feed_refuses_a_signed_token_that_names_no_class(feed_settings: Settings) -> None:
    signed_text = URLSafeSerializer(feed_settings.resolve_secret(), salt=SALT).dumps("42")
    assert await feed_class_id(feed_settings, signed_text) is None

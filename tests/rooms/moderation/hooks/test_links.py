"""Tests for the built-in `links` hook: URLs and domains blocked unless allow-listed, ordinary text passes."""

from __future__ import annotations

import pytest

from rooms.moderation import Action, MessageContext, ModerationConfig, Verdict
from rooms.moderation.hooks.links import moderate_message

ALLOWING = ModerationConfig(link_allowlist=("wikipedia.org", "*.school.example"))
BLOCK = Verdict(Action.BLOCK, "link")


def _message(text: str, translations: dict[str, str] | None = None) -> MessageContext:
    return MessageContext(text, None, 1, 1, 1, 0.0, translations or {})


BLOCKED = [
    "look https://example.com/page",
    "http://192.168.1.5:8080/x",
    "go to www.example.net",
    "example.com",
    "see example.com/path?q=1",
    "my site is cool-kids.io",
    "x.so/abc",
    "https://wikipedia.org.evil.com/wiki",
    "https://evilwikipedia.org/x",
    "google dot com",
    "Visit EXAMPLE.COM now",
    "exa\u200bmple.com",
    "https://[broken",
]
PASSED = [
    "https://en.wikipedia.org/wiki/Madrid",
    "wikipedia.org/wiki/Paris",
    "www.wikipedia.org",
    "https://maths.school.example/homework",
    "hello.how are you",
    "Mr.Smith is our teacher",
    "it costs 5.99 euros",
    "e.g. cats, i.e. pets",
    "email ana@gmail.com",
    "el punto de vista",
    "the point is that",
    "version 3.11 is out",
    "ok...bye",
]


@pytest.mark.parametrize("text", BLOCKED, ids=BLOCKED)
def test_links_block_unlisted(text: str) -> None:
    assert moderate_message(message=_message(text), config=ALLOWING) == BLOCK


@pytest.mark.parametrize("text", PASSED, ids=PASSED)
def test_links_pass_allowlisted_and_ordinary_text(text: str) -> None:
    assert moderate_message(message=_message(text), config=ALLOWING) is None


def test_links_allowlist_empty_blocks_everything() -> None:
    assert moderate_message(message=_message("en.wikipedia.org/wiki/X"), config=ModerationConfig()) == BLOCK


def test_links_checks_translations() -> None:
    message = _message("mira la p\u00e1gina", {"en": "look at example.com"})
    assert moderate_message(message=message, config=ALLOWING) == BLOCK

"""Tests for the `disclosure` hook: a child disclosing harm is delivered AND raises an alert; chat raises none."""

from __future__ import annotations

from importlib import resources

import pytest

from rooms.moderation import Action, MessageContext, ModerationConfig, Moderator, Verdict, create_plugin_manager
from rooms.moderation.hooks.disclosure import KINDS, LANGUAGES, moderate_message, parse_phrases

DISCLOSURES = [
    ("my stepdad hits me when he drinks", "disclosure_harm"),
    ("he hurt me again yesterday", "disclosure_harm"),
    ("a man online asked me for some photos", "disclosure_photos"),
    ("he wants pictures of me without clothes", "disclosure_photos"),
    ("someone is blackmailing me", "disclosure_threat"),
    ("I'm scared to go home tonight", "disclosure_fear"),
    ("mi padrastro me pega", "disclosure_harm"),
    ("un chico me pidi\u00f3 fotos", "disclosure_photos"),
    ("il m'a frapp\u00e9 hier soir", "disclosure_harm"),
    ("quelqu'un me demande des photos", "disclosure_photos"),
    ("mein Onkel schl\u00e4gt mich", "disclosure_harm"),
    ("er hat mich bedroht", "disclosure_threat"),
    ("\u0639\u0645\u064a \u064a\u0636\u0631\u0628\u0646\u064a", "disclosure_harm"),
    ("\u0637\u0644\u0628 \u0645\u0646\u064a \u0635\u0648\u0631", "disclosure_photos"),
]
# The rule: only the writer being harmed, threatened or asked counts; other people's accidents, games,
# hyperbole and body aches do not.
ORDINARY = [
    "my brother hurt his knee at football",
    "this homework is going to kill me",
    "she beat me at chess again",
    "hit me up after school",
    "my head hurts",
    "we took photos of the museum",
    "\u00e7a me fait mal au ventre",
    "me toca a m\u00ed",
    "me corto el pelo ma\u00f1ana",
    "mein Kopf tut mir weh",
    "\u0623\u062e\u064a \u0636\u0631\u0628 \u0627\u0644\u0643\u0631\u0629",
]


def _message(text: str, translations: dict[str, str] | None = None) -> MessageContext:
    return MessageContext(text, None, 1, 1, 1, 0.0, translations or {})


@pytest.mark.parametrize(("text", "alert"), DISCLOSURES, ids=[t for t, _ in DISCLOSURES])
def test_disclosure_allows_the_message_and_alerts(text: str, alert: str) -> None:
    assert moderate_message(message=_message(text), config=ModerationConfig()) == Verdict(Action.ALLOW, alert=alert)


@pytest.mark.parametrize("text", ORDINARY, ids=ORDINARY)
def test_disclosure_ignores_ordinary_chat(text: str) -> None:
    assert moderate_message(message=_message(text), config=ModerationConfig()) is None


def test_disclosure_found_in_a_translation_alerts() -> None:
    message = _message("texto", {"en": "my stepdad hits me"})
    assert moderate_message(message=message, config=ModerationConfig()) == Verdict(
        Action.ALLOW, alert="disclosure_harm"
    )


async def test_pipeline_delivers_a_disclosure_and_carries_the_alert() -> None:
    moderator = Moderator(ModerationConfig(), create_plugin_manager(load_entrypoints=False))
    outcome = await moderator.moderate(_message("my stepdad hits me"))
    assert (outcome.action, outcome.reason, outcome.text, outcome.alert) == (
        Action.ALLOW,
        None,
        "my stepdad hits me",
        "disclosure_harm",
    )


async def test_pipeline_keeps_the_alert_when_another_hook_blocks() -> None:
    moderator = Moderator(ModerationConfig(), create_plugin_manager(load_entrypoints=False))
    outcome = await moderator.moderate(_message("he asked me for photos on snap: creep_99"))
    assert (outcome.action, outcome.reason, outcome.alert) == (Action.BLOCK, "contact_handle", "disclosure_photos")


async def test_pipeline_without_disclosure_has_no_alert() -> None:
    moderator = Moderator(ModerationConfig(), create_plugin_manager(load_entrypoints=False))
    assert (await moderator.moderate(_message("my brother hurt his knee"))).alert is None


@pytest.mark.parametrize("language", LANGUAGES)
def test_disclosure_word_list_parses_with_every_kind(language: str) -> None:
    text = (resources.files("rooms.moderation") / "wordlists" / "disclosure" / f"{language}.txt").read_text("utf-8")
    phrases = parse_phrases(text)
    assert len(phrases) >= 20
    assert {phrase.kind for phrase in phrases} == set(KINDS)


def test_disclosure_word_list_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="line 2"):
        parse_phrases("# comment\nhurt: hits me\n")

"""Tests for the built-in `profanity` hook: every UI language, obfuscation, and innocent words left alone."""

from __future__ import annotations

import pytest

from rooms.moderation import Action, MessageContext, ModerationConfig, Verdict
from rooms.moderation.hooks.profanity import moderate_message
from rooms.moderation.wordlist import LANGUAGES, load_wordlists, parse_wordlist

CONFIG = ModerationConfig()


def _message(text: str, language: str | None = None, translations: dict[str, str] | None = None) -> MessageContext:
    return MessageContext(text, language, 1, 1, 1, 0.0, translations or {})


MASKED = [
    ("en", "you are a fucking idiot", "you are a **** idiot"),
    ("en", "FUCK this", "**** this"),
    ("en", "what a dickhead!", "what a ****!"),
    (None, "f u c k you", "**** you"),
    (None, "f.u.c.k you", "**** you"),
    (None, "s-h-1-t happens", "**** happens"),
    (None, "sh1t", "****"),
    (None, "you @ss", "you ****"),
    (None, "a$$hole", "****"),
    (None, "fuuuuuck", "****"),
    (None, "f\u200buck", "****"),
    (None, "\uff46\uff55\uff43\uff4b", "****"),
    (None, "f_u_c_k", "****"),
    ("es", "eres un pendejo", "eres un ****"),
    ("es", "hijo de puta", "****"),
    ("es", "qu\u00e9 mierda", "qu\u00e9 ****"),
    ("es", "co\u00f1o", "****"),
    ("es", "CABR\u00d3N", "****"),
    ("es-MX", "no mames pinche", "no mames ****"),
    ("fr", "putain de merde", "**** de ****"),
    ("fr", "nique ta m\u00e8re", "****"),
    ("fr", "esp\u00e8ce de connard", "esp\u00e8ce de ****"),
    ("fr", "il a mal au cul", "il a mal au ****"),
    ("ar", "\u0627\u0646\u062a \u0634\u0631\u0645\u0648\u0637\u0629", "\u0627\u0646\u062a ****"),
    ("ar", "\u064a\u0627 \u0645\u0646\u064a\u0648\u0643", "\u064a\u0627 ****"),
    ("ar", "\u0648\u0627\u0644\u0632\u0628", "****"),
    ("ar", "\u0634\u0631\u0645\u0640\u0640\u0648\u0637\u0629", "****"),
]
PASSED = [
    ("en", "our class did the assessment in Scunthorpe"),
    ("en", "I passed the bass to the assassin"),
    ("en", "I bite my nails"),
    ("en", "cul-de-sac"),
    (None, "a cul-de-sac near the cocktail bar"),
    ("en", "I'm gay and proud"),
    ("en", "we studied the history of the Nazi regime"),
    ("en", "biology: the penis and the vagina"),
    ("en", "my dog is fat and stupid"),
    ("es", "el gato negro"),
    (None, "el gato negro"),
    ("es", "un cono de helado"),
    ("es", "el a\u00f1o pasado"),
    ("es", "Concha es mi t\u00eda"),
    ("fr", "la veuve de mon voisin"),
    ("fr", "je dois bosser"),
    ("fr", "con leche por favor"),
    ("ar", "\u0634\u0631\u0628\u062a \u0644\u0628\u0646 \u0641\u064a \u0627\u0644\u062d\u0645\u0627\u0645"),
    ("ar", "\u0643\u0633\u0631\u062a \u0627\u0644\u0642\u0644\u0645"),
    (None, "1 2 3 4 5 6"),
    (None, "shi is my friend"),
]


@pytest.mark.parametrize(("language", "text", "masked"), MASKED, ids=[text for _, text, _ in MASKED])
def test_profanity_masks_listed_words(language: str | None, text: str, masked: str) -> None:
    assert moderate_message(message=_message(text, language), config=CONFIG) == Verdict(
        Action.MASK, "profanity", masked
    )


@pytest.mark.parametrize(("language", "text"), PASSED, ids=[text for _, text in PASSED])
def test_profanity_passes_innocent_words(language: str | None, text: str) -> None:
    assert moderate_message(message=_message(text, language), config=CONFIG) is None


@pytest.mark.parametrize(
    ("language", "text", "flagged"),
    [
        ("fr", "une grosse bite", True),
        ("en", "a mosquito bite", False),
        (None, "a mosquito bite", False),
        ("en", "negro", True),
        ("es", "negro", False),
    ],
    ids=["fr-only-in-fr", "fr-only-not-in-en", "fr-only-not-unknown", "en-slur", "es-colour"],
)
def test_profanity_language_specific_entries(language: str | None, text: str, flagged: bool) -> None:
    assert (moderate_message(message=_message(text, language), config=CONFIG) is not None) is flagged


def test_profanity_extra_words_from_config() -> None:
    config = ModerationConfig(extra_words=("Bananarama",))
    verdict = moderate_message(message=_message("you b4n4n4r4m4"), config=config)
    assert verdict == Verdict(Action.MASK, "profanity", "you ****")
    assert moderate_message(message=_message("you bananarama"), config=CONFIG) is None


def test_profanity_in_translation_only_holds() -> None:
    message = _message("eres tonto", "es", {"en": "you are a fucking fool"})
    assert moderate_message(message=message, config=CONFIG) == Verdict(Action.HOLD, "profanity")


def test_profanity_in_original_masks_despite_translation() -> None:
    message = _message("eres un pendejo", "es", {"en": "you are an asshole"})
    assert moderate_message(message=message, config=CONFIG) == Verdict(Action.MASK, "profanity", "eres un ****")


@pytest.mark.parametrize("language", LANGUAGES)
def test_profanity_wordlists_ship_for_every_ui_language(language: str) -> None:
    assert len(load_wordlists()[language].words) >= 25


def test_profanity_english_uses_upstream_list_minus_drops() -> None:
    english = load_wordlists()["en"]
    assert {"fuck", "motherfucker", "bollocks"} <= english.words  # upstream and our addition
    assert not {"gay", "hiv", "kill"} & english.words


def test_profanity_parse_wordlist_format() -> None:
    parsed = parse_wordlist("# comment\n\nPut\u00e1\n=Bite\n+Negro\n-gay\nhijo  de  puta\nshi+\n")
    assert parsed.words == {"puta", "hijo de puta"}
    assert parsed.only == {"bite"}
    assert parsed.allow == {"negro"}
    assert parsed.drop == {"gay"}

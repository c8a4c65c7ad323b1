"""Tests for the built-in `shouting` hook."""

from __future__ import annotations

import pytest

from rooms.moderation import Action, MessageContext, ModerationConfig, Verdict
from rooms.moderation.hooks.shouting import moderate_message as shouting_hook
from rooms.moderation.hooks.shouting import sentence_case

CONFIG = ModerationConfig()


def _message(text: str, language: str | None = None) -> MessageContext:
    return MessageContext(text, language, 1, 1, 1, 0.0)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("WHY IS EVERYONE SO QUIET TODAY", "en", "Why is everyone so quiet today"),
        ("HELLO! I AM FROM SPAIN. WHERE ARE YOU FROM?", "en", "Hello! I am from spain. Where are you from?"),
        ("\u00bfQU\u00c9 TAL? YO ESTOY MUY BIEN", "es", "\u00bfQu\u00e9 tal? Yo estoy muy bien"),
        ("BONJOUR TOUT LE MONDE", "fr", "Bonjour tout le monde"),
    ],
    ids=["en", "en-sentences", "es", "fr"],
)
def test_shouting_masks_to_sentence_case(text: str, language: str, expected: str) -> None:
    assert shouting_hook(message=_message(text, language), config=CONFIG) == Verdict(Action.MASK, "shouting", expected)


@pytest.mark.parametrize(
    "text",
    [
        "OK",
        "I LOVE NASA",
        "I visited the USA and the UK in 2019",
        "Hello everyone, how are you?",
        "1234567890!!!!",
        "\u0645\u0631\u062d\u0628\u0627 \u0628\u0643\u0645 \u062c\u0645\u064a\u0639\u0627 " * 3,
    ],
    ids=["short", "few-letters", "acronyms-in-sentence", "normal", "digits", "uncased-script"],
)
def test_shouting_passes_normal_text(text: str) -> None:
    assert shouting_hook(message=_message(text), config=CONFIG) is None


def test_sentence_case_only_capitalises_english_i_in_english() -> None:
    assert sentence_case("HOLA I ADIOS", "es") == "Hola i adios"
    assert sentence_case("YES I CAN", "en") == "Yes I can"

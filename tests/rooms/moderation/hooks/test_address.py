"""Tests for the built-in `address` hook: street addresses and postcodes stopped, famous places and chat pass."""

from __future__ import annotations

import pytest

from rooms.moderation import Action, MessageContext, ModerationConfig, Verdict
from rooms.moderation.hooks.address import moderate_message


def _message(text: str, countries: tuple[str, ...] = ()) -> MessageContext:
    return MessageContext(text, None, 1, 1, 1, 0.0, {}, countries=countries)


CAUGHT = [
    "I live at 42 Oak Road",
    "come to 17 maple street after school",
    "j'habite au 12 rue des Lilas",
    "12 bis, avenue Jean Jaur\u00e8s",
    "vivo en la calle Mayor 23",
    "Avenida de la Constituci\u00f3n 45, 3\u00ba B",
    "ich wohne in der Lindenstra\u00dfe 12",
    "Hauptstr. 5",
    "Berliner Stra\u00dfe 12a",
    "عنواني شارع الحرية رقم 12",
    "my postcode is SW1A 2AA",
    "mi c\u00f3digo postal es 28013",
    "meine PLZ ist 10115",
    "Leeds LS6 2AB",
    "Ahornweg 3, 10115 Berlin",
    "I live at 10 Downing Street",  # a famous address is still an address when the writer says it is theirs
]
PASSES = [
    "The Prime Minister lives at 10 Downing Street.",
    "Sherlock Holmes lived at 221B Baker Street.",
    "L'\u00c9lys\u00e9e est au 55 rue du Faubourg-Saint-Honor\u00e9.",
    "Der Reichstag ist am Platz der Republik 1.",
    "I ran 5 km down the road",
    "Quedamos en la plaza a las 6",
    "We have 3 streets in our village",
    "La rue principale de ma ville est tr\u00e8s jolie.",
    "Game of the year 2023, 2024 and 2025",
    "Meine Stra\u00dfe ist sehr ruhig.",
    "I scored 12500 points",
]


@pytest.mark.parametrize("text", CAUGHT, ids=CAUGHT)
def test_address_blocks_street_addresses_and_postcodes(text: str) -> None:
    assert moderate_message(message=_message(text), config=ModerationConfig()) == Verdict(Action.BLOCK, "address")


@pytest.mark.parametrize("text", PASSES, ids=PASSES)
def test_address_passes_famous_places_and_ordinary_chat(text: str) -> None:
    assert moderate_message(message=_message(text), config=ModerationConfig()) is None


def test_address_masks_when_configured() -> None:
    verdict = moderate_message(
        message=_message("come to 17 Maple Street!"), config=ModerationConfig(contact_action=Action.MASK)
    )
    assert verdict == Verdict(Action.MASK, "address", "come to [hidden]!")


def test_address_uk_postcodes_only_in_rooms_with_the_uk() -> None:
    assert moderate_message(message=_message("room B2 3pm", ("FR", "ES")), config=ModerationConfig()) is None
    assert moderate_message(message=_message("EC1A 1BB", ("GB", "ES")), config=ModerationConfig()) is not None


def test_address_found_only_in_a_translation_blocks() -> None:
    message = MessageContext("hola", None, 1, 1, 1, 0.0, {"en": "I live at 42 Oak Road"})
    assert moderate_message(message=message, config=ModerationConfig()) == Verdict(Action.BLOCK, "address")

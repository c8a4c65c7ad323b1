"""Number words in en, es, fr, de and ar read as the digits they stand for."""

from __future__ import annotations

import pytest

from rooms.moderation.normalise import fold
from rooms.moderation.numbers import spelled_numbers


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("seis doce treinta y cuatro", ["6", "12", "34"]),
        ("zéro six, trente-quatre, soixante-dix-huit, quatre-vingt-dix-neuf", ["0", "6", "34", "78", "99"]),
        ("soixante et onze, vingt et un, quatre-vingts", ["71", "21", "80"]),
        ("null eins zwo, vierunddreißig, vier und dreißig", ["0", "1", "2", "34", "34"]),
        ("oh seven double oh nine triple five", ["0", "7", "00", "9", "555"]),
        ("doppel sechs", ["66"]),
        ("veintiuno dieciséis", ["21", "16"]),
        ("seiscientos doce, nine hundred", ["612", "900"]),
        ("twenty-one thirty four", ["21", "34"]),
        ("\u0635\u0641\u0631 \u0633\u062a\u0629 \u0627\u062b\u0646\u0627 \u0639\u0634\u0631", ["0", "6", "12"]),
        ("\u0623\u0631\u0628\u0639\u0629 \u0648\u062b\u0644\u0627\u062b\u064a\u0646", ["34"]),
        ("Oh, oh, I know!", []),  # "oh" is zero only next to other digits
        ("nueve diez", ["9", "10"]),
    ],
    ids=[
        "es-compound", "fr-compounds", "fr-et", "de", "en-oh-double", "de-doppel", "es-veinti", "hundreds",
        "en-tens", "ar-teen", "ar-unit-and-tens", "oh-exclamation", "es-not-a-teen",
    ],
)  # fmt: skip
def test_spelled_numbers_read_as_digits(text: str, digits: list[str]) -> None:
    assert [found for _s, _e, found in spelled_numbers(fold(text))] == digits

"""The shared normalisation: homoglyphs, keycaps, digit scripts and spelled numbers read as what they stand for."""

from __future__ import annotations

import pytest

from rooms.moderation_normalise import contact_view
from rooms.moderation_numbers import spelled_numbers
from rooms.moderation_text import fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("gm\u0430il", "gmail"),  # Cyrillic a
        ("\u0455nap", "snap"),  # Cyrillic dze
        ("\u03bfutl\u03bfok", "outlook"),  # Greek omicron
        ("1\ufe0f\u20e32\ufe0f\u20e3", "12"),  # keycap emoji
        ("\u2460\u2461\u24ea", "120"),  # circled digits
        ("\u2776\u2777", "12"),  # dingbat negative circled digits
        ("\U0001d7cf\U0001d7d0", "12"),  # mathematical bold digits
        ("\uff10\uff16", "06"),  # fullwidth
        ("\u0660\u0666\u06f1\u0967", "0611"),  # Arabic-Indic, Persian, Devanagari digits
        ("insta\u3002com", "insta.com"),  # ideographic full stop
        ("a\u200bb\u200e\u202ec", "abc"),  # zero-width space and bidi controls
        ("\u0645\u0631\u062d\u0628\u0627", "\u0645\u0631\u062d\u0628\u0627"),  # Arabic is never folded to Latin
        ("Stra\u00dfe", "strasse"),
        ("a\u00f1o", "a\u00f1o"),  # ñ is kept: "año" is not "ano"
    ],
    ids=[
        "cyrillic-a", "cyrillic-dze", "greek-omicron", "keycap", "circled", "dingbat", "math-bold", "fullwidth",
        "digit-scripts", "ideographic-dot", "invisibles", "arabic-kept", "eszett", "enye-kept",
    ],
)  # fmt: skip
def test_fold_reads_disguised_characters_as_what_they_look_like(text: str, folded: str) -> None:
    assert fold(text) == folded


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


def test_contact_view_joins_letters_typed_one_by_one() -> None:
    assert contact_view("a l i c e @ g m a i l . c o m").folded == "alice@gmail.com"
    assert contact_view("0 6 1 2 3 4").folded == "0 6 1 2 3 4"  # digits stay for the phone finder


def test_contact_view_masks_the_original_characters() -> None:
    text = "call zéro six, trente-quatre ok"
    view = contact_view(text)
    assert view.folded == "call 0 6, 34 ok"
    assert view.mask([(5, 12)], "[hidden]") == "call [hidden] ok"

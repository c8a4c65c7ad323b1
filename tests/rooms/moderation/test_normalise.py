"""Tests for rooms.moderation.normalise: folding for matching and masking back onto the original text."""

from __future__ import annotations

import pytest

from rooms.moderation.normalise import fold, normalise, texts_to_check


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Hello", "hello"),
        ("f\u200bu\u200dck", "fuck"),
        ("\uff46\uff55\uff43\uff4b", "fuck"),
        ("Caf\u00e9 CABR\u00d3N", "cafe cabron"),
        ("a\u00f1o", "a\u00f1o"),
        ("\u0660\u0666\u0661\u0662", "0612"),
        ("\u0634\u0631\u0645\u0640\u0640\u0648\u0637\u0629", "\u0634\u0631\u0645\u0648\u0637\u0647"),
        ("line\nbreak\x00", "line break"),
        ("Stra\u00dfe", "strasse"),
    ],
    ids=[
        "ascii",
        "zero-width",
        "fullwidth",
        "accents",
        "enye-kept",
        "arabic-digits",
        "arabic-tatweel",
        "controls",
        "casefold-expands",
    ],
)
def test_fold_normalises_for_matching(text: str, folded: str) -> None:
    assert normalise(text).folded == folded
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "span", "masked"),
    [
        ("call 0612", (5, 9), "call [x]"),
        ("call 0\u200b6\u200b1\u200b2!", (5, 9), "call [x]!"),
        ("Stra\u00dfe 12", (8, 10), "Stra\u00dfe [x]"),
        ("\uff10\uff16\uff11\uff12 ok", (0, 4), "[x] ok"),
    ],
    ids=["ascii", "invisible-inside", "expanded-char-before", "fullwidth"],
)
def test_mask_maps_folded_spans_to_original(text: str, span: tuple[int, int], masked: str) -> None:
    assert normalise(text).mask([span], "[x]") == masked


def test_mask_merges_overlapping_spans() -> None:
    assert normalise("abcdefgh").mask([(1, 4), (3, 6), (6, 6)], "*") == "a*gh"


def test_texts_to_check_dedupes_translations() -> None:
    views = texts_to_check("hola", ["hola", "hello", "hello"])
    assert [view.original for view in views] == ["hola", "hello"]


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

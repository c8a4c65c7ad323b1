"""Client frames decode as the standard library decodes them, whichever JSON decoder reads them first."""

from __future__ import annotations

import json

import pytest

from rooms.parsing import FrameError, get_int, parse_frame, parse_send


@pytest.mark.parametrize(
    "raw",
    [
        '{"type":"send","client_id":"c-1","text":"hi","lang":"en"}',
        '{"type":"send","client_id":"c-1","text":"caf\\u00e9 \\ud83d\\ude00 \u00e9t\u00e9"}',
        '{"type":"ping","n":NaN,"m":-Infinity}',
        '{"type":"ping","f":1e400,"g":1.5e-320}',
        '{"type":"ping","dup":1,"dup":2}',
        '  {"type" : "ping"}\n',
    ],
    ids=["send", "escapes", "nan-infinity", "float-range", "duplicate-keys", "whitespace"],
)
def test_parse_frame_gives_what_the_standard_library_gives(raw: str) -> None:
    assert repr(parse_frame(raw)) == repr(json.loads(raw))


@pytest.mark.parametrize("number", [2**64 + 1, -(2**64) - 1, 10**30], ids=["past-64-bits", "below-64-bits", "huge"])
def test_an_integer_past_64_bits_is_refused_as_the_standard_library_int_was(number: int) -> None:
    """orjson reads it as a float; a field check refuses it with the same answer as the stdlib's (too big) int."""
    raw = f'{{"type":"resume","last_id":{number}}}'
    with pytest.raises(FrameError) as fast:
        get_int(parse_frame(raw), "last_id")
    with pytest.raises(FrameError) as stdlib:
        get_int(json.loads(raw), "last_id")
    assert (
        (fast.value.code, fast.value.detail)
        == (stdlib.value.code, stdlib.value.detail)
        == (
            "bad_frame",
            "'last_id' must be a non-negative integer",
        )
    )


def test_a_lone_surrogate_escape_is_a_bad_field_not_bad_json() -> None:
    """The fast decoder refuses it; the standard library takes it, so the answer names the field as before."""
    frame = parse_frame('{"type":"send","client_id":"c-1","text":"a \\ud800 b"}')
    with pytest.raises(FrameError) as refused:
        parse_send(frame)
    assert (refused.value.code, refused.value.detail) == ("bad_frame", "'text' is not valid Unicode text")


@pytest.mark.parametrize(
    "raw",
    ['{"type":"send",', "[1, 2", "", "nul", '{"type":"send"} trailing', "[" * 5000 + "]" * 5000, '{"a":"\\x"}'],
    ids=["truncated", "unclosed-list", "empty", "not-json", "trailing-text", "too-deep", "bad-escape"],
)
def test_parse_frame_refuses_what_is_not_json(raw: str) -> None:
    with pytest.raises(FrameError) as refused:
        parse_frame(raw)
    assert refused.value.code == "bad_json"

"""ModerationConfig: a session's overrides merged onto the deployment's, bad values refused."""

from __future__ import annotations

import pytest

from rooms.moderation import DEFAULT_HOOKS, Action, ModerationConfig


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, {}),
        ({"hooks": ["contact", "links"]}, {"hooks": ("contact", "links")}),
        ({"contact_action": "mask"}, {"contact_action": Action.MASK}),
        (
            {"link_allowlist": ["Wikipedia.ORG.", "*.school.example"]},
            {"link_allowlist": ("wikipedia.org", "school.example")},
        ),
        ({"max_length": 500, "flood_seconds": 3}, {"max_length": 500, "flood_seconds": 3.0}),
    ],
    ids=["none", "hooks-list", "action-string", "allowlist-normalised", "numbers"],
)
def test_config_merged_applies_overrides(overrides: dict[str, object], expected: dict[str, object]) -> None:
    merged = ModerationConfig().merged(overrides)
    for name, value in expected.items():
        assert getattr(merged, name) == value
    assert ModerationConfig().hooks == DEFAULT_HOOKS


@pytest.mark.parametrize(
    "overrides",
    [
        {"colour": "red"},
        {"hooks": "contact"},
        {"hooks": ["contact", "contact"]},
        {"hooks": [""]},
        {"contact_action": "hold"},
        {"contact_action": "nope"},
        {"max_length": 0},
        {"max_length": True},
        {"max_length": "10"},
        {"flood_seconds": -1},
        {"hook_timeout": float("nan")},
        {"shouting_ratio": 1.5},
        {"extra_words": [1]},
    ],
    ids=[
        "unknown",
        "hooks-string",
        "hooks-duplicate",
        "hooks-empty-name",
        "action-hold",
        "action-unknown",
        "zero",
        "bool",
        "string-number",
        "negative",
        "nan",
        "ratio-over-one",
        "word-not-string",
    ],
)
def test_config_merged_rejects_bad_overrides(overrides: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        ModerationConfig().merged(overrides)

"""The labelled corpus (tests/rooms/moderation/corpus) meets the targets: recall >= 97 %, false alarms <= 2 %."""

from __future__ import annotations

from bench.moderation_eval import evaluate, load_corpus, rates

RECALL = 0.97
FALSE_ALARMS = 0.02
LANGUAGES = ("en", "es", "fr", "de", "ar")


async def test_moderation_eval_meets_the_targets_on_the_corpus() -> None:
    lines = load_corpus()
    assert len(lines) >= 300
    assert {line.language for line in lines} == set(LANGUAGES)
    table = rates(await evaluate(lines))
    caught, contact = table["*/contact"]
    alarms, ordinary = table["*/ok"]
    assert caught / contact >= RECALL, f"recall {caught}/{contact}"
    assert alarms / ordinary <= FALSE_ALARMS, f"false alarms {alarms}/{ordinary}"
    for language in LANGUAGES:  # no language may lag far behind the others
        caught, contact = table[f"{language}/contact"]
        alarms, ordinary = table[f"{language}/ok"]
        assert caught / contact >= 0.95, f"{language}: recall {caught}/{contact}"
        assert alarms / ordinary <= 0.05, f"{language}: false alarms {alarms}/{ordinary}"

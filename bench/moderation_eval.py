"""Recall and false-alarm rate of the default moderation pipeline on the labelled contact-details corpus.

Corpus: tests/rooms/moderation/corpus/contact_<lang>.tsv, one "lang<TAB>kind<TAB>text" a line; kind "ok" is ordinary
chat that must pass, any other kind (phone, email, handle, invite, address, split) must be stopped. In a "split"
line, " || " separates consecutive messages of one student, sent seconds apart. Run: python bench/moderation_eval.py
"""

from __future__ import annotations

import argparse
import asyncio
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from rooms.moderation import Action, MessageContext, ModerationConfig, Moderator, create_plugin_manager

CORPUS_DIR = Path(__file__).resolve().parent.parent / "tests" / "rooms" / "moderation" / "corpus"
MEMBERS = ("Maria", "Sofia", "Chloe", "Lukas", "Amine")  # the room's members: "@Maria" is addressing, not a handle
STOPPING_REASONS = frozenset({"contact_email", "contact_phone", "contact_handle", "contact_invite", "address", "link"})


@dataclass(frozen=True, slots=True)
class Line:
    language: str
    kind: str
    text: str


@dataclass(frozen=True, slots=True)
class Result:
    line: Line
    stopped: bool
    reason: str | None


def load_corpus(directory: Path = CORPUS_DIR) -> list[Line]:
    """Every labelled line of every language file."""
    lines = []
    for path in sorted(directory.glob("contact_*.tsv")):
        for raw in path.read_text(encoding="utf-8").splitlines():
            if raw.strip() and not raw.startswith("#"):
                language, kind, text = raw.split("\t", 2)
                lines.append(Line(language, kind, text))
    return lines


async def evaluate(lines: list[Line]) -> list[Result]:
    """Run each line through a fresh default pipeline, each line from its own participant."""
    moderator = Moderator(ModerationConfig(hook_timeout=5.0), create_plugin_manager(load_entrypoints=False))
    results = []
    for number, line in enumerate(lines):
        stopped, reason = False, None
        for part, text in enumerate(line.text.split(" || ")):
            ctx = MessageContext(text, line.language, number, 1, 1, 1000.0 + 5 * part, member_names=MEMBERS)
            outcome = await moderator.moderate(ctx)
            if outcome.action is not Action.ALLOW and outcome.reason in STOPPING_REASONS:
                stopped, reason = True, outcome.reason
        results.append(Result(line, stopped, reason))
    return results


def rates(results: list[Result]) -> dict[str, tuple[int, int]]:
    """(stopped, total) per "lang/kind", per "*/kind", per "lang/*" for contact kinds and for "ok", and overall."""
    counts: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    for result in results:
        group = "ok" if result.line.kind == "ok" else "contact"
        keys = {f"{result.line.language}/{result.line.kind}", f"*/{result.line.kind}"}
        keys |= {f"{result.line.language}/{group}", f"*/{group}"}
        for key in keys:
            counts[key][0] += result.stopped
            counts[key][1] += 1
    return {key: (value[0], value[1]) for key, value in counts.items()}


def main() -> None:
    """Print recall (contact kinds) and false-alarm rate (ok) per language and per kind; -v lists the misses."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every miss and false alarm")
    args = parser.parse_args()
    results = asyncio.run(evaluate(load_corpus()))
    table = rates(results)
    print(f"{'group':<16}{'measure':<14}{'rate':>8}{'n':>6}")
    for key in sorted(table, key=lambda k: (k.split("/")[0] != "*", k)):
        stopped, total = table[key]
        if key.endswith("/ok"):
            print(f"{key:<16}{'false alarms':<14}{stopped / total:>8.1%}{total:>6}")
        else:
            print(f"{key:<16}{'recall':<14}{stopped / total:>8.1%}{total:>6}")
    if args.verbose:
        for result in results:
            if result.stopped == (result.line.kind == "ok"):
                label = "FALSE ALARM" if result.stopped else "MISSED"
                line = result.line
                print(f"{label:<12}{line.language} {line.kind:<8}{result.reason or '':<16}{line.text}")


if __name__ == "__main__":
    main()

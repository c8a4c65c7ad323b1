"""Benchmark: µs per message for the full built-in moderation pipeline against a single-regex baseline."""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import time

from rooms.moderation import MessageContext, ModerationConfig, Moderator, create_plugin_manager

# A realistic mix: mostly ordinary chat, some numbers and accents, a few messages the hooks act on.
CORPUS = [
    "Hi! I'm Ana, I'm 14 and I live in Madrid.",
    "What's your favourite subject at school?",
    "Me gusta mucho el fútbol, ¿y a ti?",
    "J'ai un chat et deux chiens, et toi ?",
    "مرحبا، اسمي ليلى وعمري ١٤ سنة",
    "We have maths at 10:30 and the match ended 3-2.",
    "It costs 5.99 euros, and my birthday is 12/05/2024.",
    "call me 06 12 34 56 78",
    "add me on snap: cool_kid99",
    "WHY IS EVERYONE SO QUIET TODAY",
    "this homework is shit",
    "look at example.com/cats",
    "In 2019 we visited room 204 of the museum.",
    "Do you celebrate Eid or Christmas in your country?",
    "ok",
    "I think the best food in the world is paella because my grandmother makes it every Sunday for the family.",
]


def _unique(i: int) -> str:
    # A distinct tag per message defeats the per-text normalisation cache, as real traffic would. Its letters
    # alternate between two consonant sets, so it never holds a letter twice in a row: a run of three ("qxxxq")
    # sent every message down profanity's stretched-word path, which ordinary chat rarely takes.
    digits = f"{i:d}"
    tag = "".join(("bcdfghjklm", "npqrstvwxz")[n % 2][int(d)] for n, d in enumerate(digits))
    return f"{CORPUS[i % len(CORPUS)]} {tag}"


BASELINE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


async def _pipeline(messages: int) -> float:
    # Generous flood limits: each message comes from its own participant so nothing is counted as flooding.
    moderator = Moderator(ModerationConfig(hook_timeout=5.0), create_plugin_manager(load_entrypoints=False))
    contexts = [MessageContext(_unique(i), None, i, 1, 1, float(i)) for i in range(messages)]
    await moderator.moderate(contexts[0])  # word lists load on first use; keep that out of the timing
    started = time.perf_counter()
    for ctx in contexts:
        await moderator.moderate(ctx)
    return (time.perf_counter() - started) / messages * 1e6


def _baseline(messages: int) -> float:
    texts = [_unique(i) for i in range(messages)]
    started = time.perf_counter()
    for text in texts:
        BASELINE.search(text)
    return (time.perf_counter() - started) / messages * 1e6


def main() -> None:
    """Print median µs per message over a few rounds for the pipeline and for the baseline regex."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    pipeline = [asyncio.run(_pipeline(args.messages)) for _ in range(args.rounds)]
    baseline = [_baseline(args.messages) for _ in range(args.rounds)]
    p, b = statistics.median(pipeline), statistics.median(baseline)
    print(f"messages per round: {args.messages}, rounds: {args.rounds}")
    print(f"built-in pipeline ({', '.join(ModerationConfig().hooks)}): {p:8.1f} µs/message")
    print(f"baseline (one e-mail regex search):                  {b:8.2f} µs/message")
    print(f"ratio: {p / b:.0f}x; pipeline throughput ≈ {1e6 / p:,.0f} messages/s on one core")


if __name__ == "__main__":
    main()

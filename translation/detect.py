"""Guess which of a room's languages a message is written in, trusting the sender's declared one when unsure."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

MIN_WORDS = 3
MIN_CONFIDENCE = 0.8

_lock = threading.Lock()
_identifier: Any = None


def detect_language(
    text: str, candidates: Sequence[str], fallback: str, *, min_confidence: float = MIN_CONFIDENCE
) -> str:
    """Return the candidate language `text` is most likely written in, or `fallback`.

    Students sometimes write in a language other than the one on their profile (often the partner's), and
    translating from the wrong source garbles the message. Detection is restricted to `candidates` (the
    room's languages), which makes it far more reliable than open-set detection. Short messages (fewer than
    3 words), fewer than two known candidates, or a confidence below `min_confidence` return `fallback`, usually the
    sender's declared language. Blocking but cheap (well under a millisecond per message once loaded).
    """
    if len(text.split()) < MIN_WORDS:
        return fallback
    identifier = _get_identifier()
    known = set(identifier.labels)
    allowed = {code for code in candidates if code in known}
    if len(allowed) < 2:  # with one candidate "detection" would just override the sender's declared language
        return fallback
    # rank() scores every language; renormalising over the candidates equals restricting the classifier
    # (softmax over a subset), without mutating the shared identifier as set_languages() would.
    scores = {lang: score for lang, score in identifier.rank(text) if lang in allowed}
    total = sum(scores.values())
    if total <= 0:
        return fallback
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] / total >= min_confidence else fallback


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier

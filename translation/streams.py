"""The Redis Streams layout shared by chat servers and `bridgeway translation-worker`s: keys, job and reply fields.

Jobs go to one stream read by one consumer group (every worker a consumer, so each job goes to one worker);
each chat process reads the answers from its own reply stream. Workers advertise the pairs they serve in a hash.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from translation.base import LanguagePair

JOBS = "bridgeway:translation:jobs"
GROUP = "translation-workers"
WORKERS = "bridgeway:translation:workers"  # hash: consumer name -> advert (JSON)
REPLIES = "bridgeway:translation:replies:"  # + the chat process's id
REPLY_MAXLEN = 10_000  # approximate cap of a reply stream whose reader died
REPLY_TTL = 3600  # seconds a reply stream outlives its last reply
ADVERT_TTL = 15.0  # a worker not heard from for this long no longer counts
JOBS_KEPT_SECONDS = 300  # jobs older than this are trimmed: past any deadline, so the stream never grows unbounded

ERRORS = ("unavailable", "failed")

_Fields = Mapping[str, str]  # both sides use redis-py with decode_responses=True


@dataclass(frozen=True)
class Job:
    """One text to translate, and the stream its answer goes to."""

    id: str
    reply_to: str
    text: str
    source: str
    target: str
    deadline: float  # time.time() after which the chat server no longer waits: skipped, not translated

    def fields(self) -> dict[str, str]:
        return {
            "id": self.id,
            "reply": self.reply_to,
            "text": self.text,
            "source": self.source,
            "target": self.target,
            "deadline": repr(self.deadline),
        }

    @classmethod
    def parse(cls, fields: _Fields) -> Job:
        return cls(
            fields["id"], fields["reply"], fields["text"], fields["source"], fields["target"], float(fields["deadline"])
        )


@dataclass(frozen=True)
class Reply:
    """The answer to one job: the translation, or an error code from ERRORS."""

    job: str
    text: str | None = None
    error: str | None = None

    def fields(self) -> dict[str, str]:
        if self.text is not None:
            return {"job": self.job, "text": self.text}
        return {"job": self.job, "error": self.error or "failed"}

    @classmethod
    def parse(cls, fields: _Fields) -> Reply:
        if "text" in fields:
            return cls(fields["job"], text=fields["text"])
        return cls(fields["job"], error=fields.get("error", "failed"))


def jobs_min_id(now: float) -> str:
    """The oldest jobs-stream id worth keeping (ids start with Redis's clock in ms): older jobs are trimmed."""
    return str(int((now - JOBS_KEPT_SECONDS) * 1000))


def advert(pairs: Iterable[LanguagePair], model_version: str) -> str:
    """What a worker publishes about itself, valid for ADVERT_TTL seconds."""
    return json.dumps({"pairs": sorted(pairs), "version": model_version, "until": time.time() + ADVERT_TTL})


def live_adverts(raw: Mapping[str, str]) -> tuple[dict[str, tuple[frozenset[LanguagePair], str]], list[str]]:
    """(consumer -> (pairs, model version)) of the workers heard from lately, and the expired entries' keys."""
    now = time.time()
    live: dict[str, tuple[frozenset[LanguagePair], str]] = {}
    expired: list[str] = []
    for name, value in raw.items():
        try:
            data = json.loads(value)
            pairs = frozenset((str(s), str(t)) for s, t in data["pairs"])
            fresh = float(data["until"]) > now
        except (ValueError, KeyError, TypeError):
            fresh = False
        if fresh:
            live[name] = (pairs, str(data["version"]))
        else:
            expired.append(name)
    return live, expired

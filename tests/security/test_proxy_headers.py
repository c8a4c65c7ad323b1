"""X-Forwarded-For is believed only from configured proxies (finding 3): rotating it buys no extra guesses."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.security.served import served

GUESSES = 12


def _join_statuses(url: str, forwarded: bool) -> list[int]:
    statuses = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for i in range(GUESSES):
            headers = {"X-Forwarded-For": f"203.0.113.{i + 1}"} if forwarded else {}
            response = client.post("/api/join", json={"code": f"GUESS{i}", "name": "Mallory"}, headers=headers)
            statuses.append(response.status_code)
    return statuses


def test_forwarded_for_from_an_untrusted_peer_does_not_change_the_join_limit(tmp_path: Path) -> None:
    """By default no proxy is trusted, not even 127.0.0.1: every guess counts against the real address."""
    with served(tmp_path, join_failure_rate="5/minute") as server:
        statuses = _join_statuses(server.url, forwarded=True)
    assert statuses[:5] == [404] * 5
    assert set(statuses[5:]) == {429}


def test_forwarded_for_from_a_configured_proxy_names_the_client(tmp_path: Path) -> None:
    """With the proxy's address configured, students behind it are told apart (each has its own allowance)."""
    with served(tmp_path, join_failure_rate="5/minute", forwarded_allow_ips='["127.0.0.1"]') as server:
        assert _join_statuses(server.url, forwarded=True) == [404] * GUESSES
        assert _join_statuses(server.url, forwarded=False)[5:] == [429] * (GUESSES - 5)

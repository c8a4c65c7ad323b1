"""Login failures back off per address and username (finding 7): a stranger cannot lock a teacher out.

Against ``bridgeway serve`` with two real source addresses (127.0.0.1 and 127.0.0.2): the guesser waits,
the teacher at another address logs in, and an unknown username gets exactly the answer a known one gets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.security.served import ServedByCli, served
from tests.support.staff_login import csrf_from

FAILURES = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedByCli]:
    data_dir = tmp_path_factory.mktemp("backoff")
    with served(data_dir, login_lockout_failures=str(FAILURES), login_rate="1000/minute") as s:
        yield s


def _password(server: ServedByCli, username: str) -> str:
    found = re.search(rf"^\s+{re.escape(username)}\s+password (\S+)$", server.log_text(), re.MULTILINE)
    assert found is not None
    return found.group(1)


def _client(server: ServedByCli, address: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, transport=httpx.HTTPTransport(local_address=address), timeout=10)


def _login(client: httpx.Client, username: str, password: str) -> tuple[int, str]:
    csrf = csrf_from(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": csrf, "username": username, "password": password})
    page = re.sub(r'value="[^"]*"', "", response.text)  # CSRF tokens differ per client; the message must not
    return response.status_code, page


def test_a_guesser_waits_but_the_teacher_elsewhere_logs_in(server: ServedByCli) -> None:
    with _client(server, "127.0.0.2") as guesser, _client(server, "127.0.0.1") as teacher:
        assert [_login(guesser, "coordinator-gb", "wrong")[0] for _ in range(FAILURES)] == [401] * FAILURES
        status, page = _login(guesser, "coordinator-gb", _password(server, "coordinator-gb"))
        assert status == 429
        assert "Too many failed attempts" in page
        assert _login(teacher, "coordinator-gb", _password(server, "coordinator-gb"))[0] == 303


def test_unknown_and_backed_off_usernames_get_the_same_answer(server: ServedByCli) -> None:
    answers = []
    for address, username in (("127.0.0.3", "coordinator-es"), ("127.0.0.4", "no-such-teacher")):
        with _client(server, address) as client:
            answers.append([_login(client, username, "wrong") for _ in range(FAILURES + 1)])
    assert answers[0] == answers[1]
    assert answers[0][-1][0] == 429

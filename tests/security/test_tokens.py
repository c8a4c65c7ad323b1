"""Student tokens: forged, tampered, expired, replayed after a ban or an erasure, or for a closed session."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlmodel import Session
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from app.demo import DemoData
from app.security import ParticipantClaims, ParticipantTokens, SignedValues, TokenError
from app.settings import Settings
from rooms.models import ExchangeSession, Participant, SessionStatus
from tests.support.db import db
from tests.support.staff_login import csrf_from, login
from tests.support.students import join

SECRET = "test-secret-key-for-bridgeway-tests"


def _refusal(client: TestClient, token: str) -> tuple[str, int]:
    """Say hello with ``token``; return the error code and the close code the server answered with."""
    with client.websocket_connect("/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "v": 1, "token": token}))
        frame = ws.receive_json()
        assert frame["type"] == "error", frame
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
    return frame["code"], closed.value.code


class _PastSigner(TimestampSigner):
    def get_timestamp(self) -> int:
        return int(time.time()) - 13 * 3600  # older than the 12 h token lifetime


def _expired(real: str) -> str:
    """The real claims, correctly signed with the real secret, but 13 hours ago."""
    serializer = URLSafeTimedSerializer(SECRET, salt="bridgeway.participant", signer=_PastSigner)
    return serializer.dumps(dict(zip("psn", _claims(real), strict=True)))


def _set(settings: Settings, change: Callable[[Session, Participant], None], pid: int) -> None:
    with db(settings) as session:
        participant = session.get(Participant, pid)
        assert participant is not None
        change(session, participant)
        session.commit()


def _ban(session: Session, p: Participant) -> None:
    p.banned = True
    session.add(p)


def _close_session(session: Session, p: Participant) -> None:
    exchange_session = session.get(ExchangeSession, p.session_id)
    assert exchange_session is not None
    exchange_session.status = SessionStatus.CLOSED
    session.add(exchange_session)


@pytest.mark.parametrize(
    ("make_token", "code"),
    [
        (lambda real: ParticipantTokens("some-other-secret").issue(*_claims(real)), "token_invalid"),
        (lambda real: real[:-3] + ("AAA" if not real.endswith("AAA") else "BBB"), "token_invalid"),
        (lambda real: "." + real, "token_invalid"),
        (lambda real: "", "token_invalid"),
        (lambda real: URLSafeTimedSerializer(SECRET, salt="bridgeway.participant").dumps([1, 2]), "token_invalid"),
        (_expired, "token_expired"),
        (lambda real: ParticipantTokens(SECRET).issue(_claims(real)[0], _claims(real)[1], "0" * 16), "token_invalid"),
    ],
    ids=["other-secret", "tampered-signature", "garbled", "empty", "wrong-shape", "expired", "wrong-nonce"],
)
def test_token_forged_or_expired_is_refused_with_4001(
    client: TestClient, demo: DemoData, make_token: Callable[[str], str], code: str
) -> None:
    real = join(client, "RIVER9", "Alice")["token"]
    assert _refusal(client, make_token(real)) == (code, 4001)


def _claims(token: str) -> tuple[int, int, str]:
    claims = ParticipantTokens(SECRET).verify(token)
    return claims.participant_id, claims.session_id, claims.nonce


def test_expired_token_is_rejected_by_verify_itself() -> None:
    # A token is expired once its age (whole seconds, 0 here) exceeds max_age: no need to wait for the clock.
    tokens = ParticipantTokens(SECRET, max_age=-1)
    token = tokens.issue(1, 1, "n")
    with pytest.raises(TokenError) as err:
        tokens.verify(token)
    assert err.value.code == "token_expired"


def test_tokens_and_plain_itsdangerous_read_each_other() -> None:
    """``SignedValues`` only skips the zlib attempt and re-deriving its key: the format and signature are
    itsdangerous's, so tokens issued before the change still verify, and a token it issues is an ordinary one."""
    plain = URLSafeTimedSerializer(SECRET, salt="bridgeway.participant")
    tokens = ParticipantTokens(SECRET)
    issued = tokens.issue(7, 3, "ab" * 8)
    assert plain.loads(issued, max_age=60) == {"p": 7, "s": 3, "n": "ab" * 8}
    long_nonce = "n" * 400  # zlib would shorten this one: plain itsdangerous writes it compressed ("." prefix)
    older = plain.dumps({"p": 8, "s": 3, "n": long_nonce})
    assert older.startswith(".")
    assert tokens.verify(older) == ParticipantClaims(8, 3, long_nonce)
    assert ParticipantTokens(SECRET).verify(issued) == ParticipantClaims(7, 3, "ab" * 8)  # another instance
    with pytest.raises(TokenError):
        ParticipantTokens(SECRET + "x").verify(issued)
    devices = URLSafeTimedSerializer(SECRET, salt="bridgeway.device")
    with pytest.raises(BadSignature):  # each use keeps its own salt: a token is no device cookie
        devices.loads(issued)


@pytest.mark.parametrize(
    ("change", "expected"),
    [(_ban, ("banned", 4003)), (_close_session, ("session_closed", 4010))],
    ids=["banned", "session-closed"],
)
def test_valid_token_replayed_after_ban_or_close_is_refused(
    client: TestClient,
    demo: DemoData,
    settings: Settings,
    change: Callable[[Session, Participant], None],
    expected: tuple[str, int],
) -> None:
    body = join(client, "RIVER9", "Alice")
    _set(settings, change, body["participant"]["id"])
    assert _refusal(client, body["token"]) == expected


def test_token_replayed_after_erasure_is_refused(client: TestClient, demo: DemoData) -> None:
    body = join(client, "RIVER9", "Alice")
    csrf = login(client, "facilitator", demo.logins["facilitator"])
    pid = body["participant"]["id"]
    response = client.post(
        f"/facilitate/{demo.session_id}/participants/{pid}/erase", data={"csrf_token": csrf}, follow_redirects=False
    )
    assert response.status_code in (200, 303), response.text
    assert _refusal(client, body["token"]) == ("token_invalid", 4001)


def test_token_replayed_after_leaving_by_the_page_is_refused(client: TestClient, demo: DemoData) -> None:
    """The browser path: the token sits in the session cookie and the chat page's form posts /leave."""
    csrf = csrf_from(client.get("/join").text)
    form = {"csrf_token": csrf, "step": "2", "code": "CERVA3", "name": "Bea", "country": "ES", "languages": "es"}
    assert client.post("/join", data=form, follow_redirects=False).status_code == 303
    chat = client.get("/chat")
    token = chat.text.split('data-token="')[1].split('"')[0]
    assert chat.headers["cache-control"] == "no-store"  # the page that carries the token is never cached
    leave_csrf = csrf_from(chat.text)
    assert client.post("/leave", data={"csrf_token": leave_csrf}, follow_redirects=False).status_code in (200, 303)
    assert _refusal(client, token) == ("token_invalid", 4001)


def _signed(when: float, obj: object, serializer: URLSafeTimedSerializer) -> str:
    original = time.time
    time.time = lambda: when  # both write int(time.time()) as the timestamp
    try:
        return serializer.dumps(obj)
    finally:
        time.time = original


@pytest.mark.parametrize(
    "obj",
    [
        {"p": 7, "s": 3, "n": "0123456789abcdef"},
        {"d": "0123456789abcdef", "p": [1, 2, 3]},
        {"n": "é✓"},
        [1, 2],
        "x",
        {"n": "ab" * 200},
    ],
    ids=["token", "device", "non-ascii", "list", "string", "compressible"],
)
def test_signed_values_write_what_itsdangerous_writes(obj: object) -> None:
    """The one-step ``dumps`` writes itsdangerous's bytes (payload, timestamp, HMAC-SHA1) for the same second; plain
    itsdangerous would compress a value that zlib shortens (never a token or a device cookie), so that one is compared
    with itsdangerous's own ``dumps`` without the zlib attempt."""
    fast = SignedValues(SECRET, salt="bridgeway.participant")
    plain = URLSafeTimedSerializer(SECRET, salt="bridgeway.participant")
    for when in (1_700_000_000.7, time.time()):
        ours = _signed(when, obj, fast)
        assert ours == _signed(when, obj, plain) or _signed(when, obj, plain).startswith(".")
        original = time.time
        time.time = lambda: when  # noqa: B023 - used at once, inside this iteration
        try:
            assert ours == URLSafeTimedSerializer.dumps(fast, obj)
        finally:
            time.time = original


def _outcome(serializer: URLSafeTimedSerializer, value: str | bytes, max_age: int | None) -> object:
    try:
        return ("ok", serializer.loads(value, max_age=max_age))
    except BadSignature as exc:
        return (type(exc).__name__, str(exc))


_REAL = URLSafeTimedSerializer(SECRET, salt="bridgeway.participant").dumps({"p": 1, "s": 2, "n": "0123456789abcdef"})
_PAYLOAD, _STAMP, _SIG = _REAL.split(".")


@pytest.mark.parametrize(
    ("value", "max_age"),
    [
        (_REAL, 60),
        (_REAL, None),
        (_REAL.encode(), 60),
        (_REAL, -1),  # expired: age 0 > -1
        (_signed(time.time() + 3600, {"p": 1}, URLSafeTimedSerializer(SECRET, salt="bridgeway.participant")), 60),
        (_expired(_REAL), 12 * 3600),
        (_REAL[:-2] + ("AA" if not _REAL.endswith("AA") else "BB"), 60),
        ("eyJwIjoyfQ." + _STAMP + "." + _SIG, 60),  # another payload under this signature
        (_REAL + "=", 60),  # padding: itsdangerous's decoder accepts it, so the fallback must too
        (URLSafeTimedSerializer(SECRET, salt="bridgeway.participant").dumps({"n": "n" * 400}), 60),  # compressed
        (URLSafeTimedSerializer(SECRET, salt="bridgeway.device").dumps({"p": 1}), 60),  # another salt
        (URLSafeTimedSerializer(SECRET + "x", salt="bridgeway.participant").dumps({"p": 1}), 60),
        (_PAYLOAD + "." + _SIG, 60),  # no timestamp
        ("." + _REAL, 60),
        ("", 60),
        ("...", 60),
        ("no-dots", 60),
        ("ä." + _STAMP + "." + _SIG, 60),
    ],
    ids=[
        "valid",
        "valid-no-max-age",
        "valid-bytes",
        "expired",
        "from-the-future",
        "13-hours-old",
        "tampered-signature",
        "swapped-payload",
        "padded-signature",
        "compressed",
        "other-salt",
        "other-secret",
        "no-timestamp",
        "leading-dot",
        "empty",
        "dots",
        "no-dots",
        "non-ascii",
    ],
)
def test_signed_values_read_as_itsdangerous_reads(value: str | bytes, max_age: int | None) -> None:
    """The one-step ``loads`` answers each value as itsdangerous does: the same object, or the same error."""
    plain = URLSafeTimedSerializer(SECRET, salt="bridgeway.participant")
    assert _outcome(SignedValues(SECRET, salt="bridgeway.participant"), value, max_age) == _outcome(
        plain, value, max_age
    )

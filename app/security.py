"""Password hashing, signed participant tokens and CSRF tokens."""

from __future__ import annotations

import base64
import functools
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, Signer, TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int, int_to_bytes
from itsdangerous.serializer import Serializer
from starlette.requests import HTTPConnection

_hasher = PasswordHasher()
TOKEN_MAX_AGE = 12 * 3600


def hash_password(password: str) -> str:
    """Argon2id hash (argon2-cffi): slow by design, so call it off the event loop."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class ParticipantClaims:
    participant_id: int
    session_id: int
    nonce: str


class TokenError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class _KeyedSigner(TimestampSigner):
    """itsdangerous's timestamp signer with its derived key computed once instead of at every signature."""

    @functools.cached_property
    def _key(self) -> bytes:
        return super().derive_key()

    def derive_key(self, secret_key: str | bytes | None = None) -> bytes:
        return self._key if secret_key is None else super().derive_key(secret_key)


class SignedValues(URLSafeTimedSerializer):
    """``URLSafeTimedSerializer`` (same format, same HMAC-SHA1 signature) made cheaper for a join burst.

    One signer per salt, its key derived once; and no zlib attempt when dumping: ``zlib.compress`` allocates its
    ~256 KB state at each call and never shortens a token (a 50-byte JSON object). The output is a valid
    uncompressed itsdangerous value, so either class reads what the other wrote (tests/security/test_tokens.py).

    ``dumps`` and ``loads`` write and check that format in one step each, with the C HMAC (``hmac.digest``):
    itsdangerous's layers and its pure-Python HMAC (its SHA-1 is a Python function, which ``hmac.new`` cannot hand
    to OpenSSL) cost 35 µs a token issued and 55 µs a token checked, against ~6 and ~9. Anything that is not a
    well-formed, correctly signed, unexpired, uncompressed value goes to itsdangerous's own ``loads``, which
    raises exactly what it always raised (or reads an older compressed value).
    """

    signer = _KeyedSigner

    def __init__(self, secret: str, salt: str) -> None:
        super().__init__(secret, salt=salt)
        self._signers: dict[str | bytes | None, Signer] = {}
        self._hmac_key = self.make_signer().derive_key()

    def make_signer(self, salt: str | bytes | None = None) -> Signer:
        signer = self._signers.get(salt)
        if signer is None:
            signer = self._signers[salt] = super().make_signer(salt)
        return signer

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))

    def dumps(self, obj: Any, salt: str | bytes | None = None) -> str:
        if salt is not None:
            return super().dumps(obj, salt)
        payload = _b64(_compact_json(obj).encode())
        value = payload + b"." + _b64(int_to_bytes(int(time.time())))
        return (value + b"." + _b64(hmac.digest(self._hmac_key, value, "sha1"))).decode()

    def loads(  # type: ignore[override]
        self,
        s: str | bytes,
        max_age: int | None = None,
        return_timestamp: bool = False,
        salt: str | bytes | None = None,
    ) -> Any:
        if return_timestamp or salt is not None:
            return super().loads(s, max_age, return_timestamp, salt)
        raw = s.encode() if isinstance(s, str) else s
        value, _, signature = raw.rpartition(b".")
        payload, _, stamp = value.rpartition(b".")
        if (
            payload
            and payload[0] != 46  # "." starts a compressed payload
            and hmac.compare_digest(signature, _b64(hmac.digest(self._hmac_key, value, "sha1")))
        ):
            try:
                age = int(time.time()) - bytes_to_int(base64_decode(stamp))
                if max_age is None or 0 <= age <= max_age:
                    return json.loads(base64_decode(payload).decode("utf-8"))
            except Exception:  # itsdangerous's loads below raises its own error for the same value
                pass
        return super().loads(s, max_age)


_compact_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode  # itsdangerous's _CompactJSON


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


class ParticipantTokens:
    """Signed, expiring participant tokens: the only credential a student has."""

    def __init__(self, secret: str, max_age: int = TOKEN_MAX_AGE) -> None:
        self._serializer = SignedValues(secret, salt="bridgeway.participant")
        self.max_age = max_age

    def issue(self, participant_id: int, session_id: int, nonce: str) -> str:
        return self._serializer.dumps({"p": participant_id, "s": session_id, "n": nonce})

    def verify(self, token: str) -> ParticipantClaims:
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise TokenError("token_expired") from None
        except BadSignature:
            raise TokenError("token_invalid") from None
        if not isinstance(data, dict) or not {"p", "s", "n"} <= data.keys():
            raise TokenError("token_invalid")
        return ParticipantClaims(int(data["p"]), int(data["s"]), str(data["n"]))


def client_address(conn: HTTPConnection) -> str:
    """The client's address for rate limits and back-off: the only place the app reads it.

    uvicorn sets it from ``X-Forwarded-For`` only for connections from ``BRIDGEWAY_FORWARDED_ALLOW_IPS``
    (``bridgeway serve`` passes that list; empty by default), so a client cannot choose its own address.
    """
    return conn.client.host if conn.client else "unknown"


def new_nonce() -> str:
    return secrets.token_hex(8)


def csrf_token(session: dict[str, object]) -> str:
    """The per-session CSRF token, created on first use (kept in the signed session cookie)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session["csrf"] = token
    return token


def csrf_valid(session: dict[str, object], submitted: str | None) -> bool:
    expected = session.get("csrf")
    return isinstance(expected, str) and isinstance(submitted, str) and hmac.compare_digest(expected, submitted)

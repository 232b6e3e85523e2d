"""NATS decentralized-auth JWTs and creds files, built with `nkeys` directly (nats-jwt 0.2.2
writes wrong claim names and drops revocations and signing keys; see FACTS.md)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from typing import Any

import nkeys

_HEADER = {"typ": "JWT", "alg": "ed25519-nkey"}
_UNLIMITED = -1
_PREFIXES = {
    "operator": nkeys.PREFIX_BYTE_OPERATOR,
    "account": nkeys.PREFIX_BYTE_ACCOUNT,
    "user": nkeys.PREFIX_BYTE_USER,
}


@dataclass(frozen=True)
class KeyPair:
    seed: str
    public_key: str

    def sign(self, data: bytes) -> bytes:
        return nkeys.from_seed(self.seed.encode()).sign(data)


def new_key(role: str) -> KeyPair:
    seed = nkeys.encode_seed(os.urandom(32), _PREFIXES[role]).decode()
    return key_from_seed(seed)


def key_from_seed(seed: str) -> KeyPair:
    pair = nkeys.from_seed(seed.strip().encode())
    return KeyPair(seed.strip(), pair.public_key.decode())


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode(claims: dict[str, Any], signer: KeyPair) -> str:
    """Sign the claims; `iss` is the signer, `jti` a hash of the claims as NATS tools do."""
    body = {**claims, "iss": signer.public_key, "iat": claims.get("iat") or int(time.time())}
    body.pop("jti", None)
    digest = hashlib.sha512(json.dumps(body, sort_keys=True).encode()).digest()[:32]
    body["jti"] = base64.b32encode(digest).decode().rstrip("=")
    signing_input = f"{_b64(json.dumps(_HEADER).encode())}.{_b64(json.dumps(body).encode())}"
    return f"{signing_input}.{_b64(signer.sign(signing_input.encode()))}"


def decode_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (for JWTs read back from our own server)."""
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def operator_jwt(operator: KeyPair, name: str, system_account: str) -> str:
    return encode(
        {
            "sub": operator.public_key,
            "name": name,
            "nats": {"type": "operator", "version": 2, "system_account": system_account},
        },
        operator,
    )


def account_jwt(
    operator: KeyPair,
    account: str,
    name: str,
    *,
    jetstream: bool,
    signing_keys: list[str] | None = None,
    revocations: dict[str, int] | None = None,
    disk_storage: int = _UNLIMITED,
    iat: int | None = None,
) -> str:
    limits: dict[str, Any] = {
        "subs": _UNLIMITED,
        "data": _UNLIMITED,
        "payload": _UNLIMITED,
        "imports": _UNLIMITED,
        "exports": _UNLIMITED,
        "wildcards": True,
        "conn": _UNLIMITED,
        "leaf": _UNLIMITED,
    }
    if jetstream:
        limits |= {
            "mem_storage": _UNLIMITED,
            "disk_storage": disk_storage,
            "streams": _UNLIMITED,
            "consumer": _UNLIMITED,
        }
    nats: dict[str, Any] = {"type": "account", "version": 2, "limits": limits}
    if signing_keys:
        nats["signing_keys"] = signing_keys
    if revocations:
        nats["revocations"] = revocations
    return encode({"sub": account, "name": name, "iat": iat, "nats": nats}, operator)


def revoked(account_token: str, operator: KeyPair, *user_keys: str) -> str:
    """The account JWT again, with `user_keys` revoked from now on (those it revoked
    already keep their time) and a newer `iat`."""
    claims = decode_claims(account_token)
    now = max(int(time.time()), int(claims.get("iat", 0)) + 1)
    revocations = dict(claims["nats"].get("revocations") or {})
    for key in user_keys:
        revocations.setdefault(key, now)
    claims["nats"]["revocations"] = revocations
    return encode({**claims, "iat": now}, operator)


def user_jwt(
    signing_key: KeyPair,
    account: str,
    user: str,
    name: str,
    *,
    publish: list[str] | None = None,
    subscribe: list[str] | None = None,
    expires_at: int | None = None,
) -> str:
    """A user of `account` signed by its signing key; no lists: every subject allowed."""
    nats: dict[str, Any] = {
        "type": "user",
        "version": 2,
        "issuer_account": account,
        "subs": _UNLIMITED,
        "data": _UNLIMITED,
        "payload": _UNLIMITED,
        "pub": {"allow": publish} if publish is not None else {},
        "sub": {"allow": subscribe} if subscribe is not None else {},
    }
    claims: dict[str, Any] = {"sub": user, "name": name, "nats": nats}
    if expires_at is not None:
        claims["exp"] = expires_at
    return encode(claims, signing_key)


def creds_file(jwt: str, seed: str) -> str:
    """The `.creds` text nats clients read (`user_credentials=`, `nats --creds`)."""
    return (
        "-----BEGIN NATS USER JWT-----\n"
        f"{jwt}\n"
        "------END NATS USER JWT------\n\n"
        "************************* IMPORTANT *************************\n"
        "NKEY Seed printed below can be used to sign and prove identity.\n"
        "NKEYs are sensitive and should be treated as secrets.\n\n"
        "-----BEGIN USER NKEY SEED-----\n"
        f"{seed}\n"
        "------END USER NKEY SEED------\n\n"
        "*************************************************************\n"
    )


_CREDS_JWT = re.compile(r"-----BEGIN NATS USER JWT-----\s*(\S+)\s*------END")


def creds_jwt(text: str) -> str:
    match = _CREDS_JWT.search(text)
    if match is None:
        raise ValueError("not a NATS creds file")
    return match.group(1)

"""AES-256-GCM sealing of small secrets (callback signing secrets, infra credentials)
with one key from settings; each sealed value is bound to what it belongs to (the
associated data), so a row copied onto another organization does not open."""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PREFIX = "sybox:v1:"
KEY_BYTES = 32


class SecretBox:
    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the key must be {KEY_BYTES} bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_text(cls, text: str) -> SecretBox:
        """A key as written in settings: url-safe base64 of 32 bytes."""
        return cls(base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4)))

    def seal(self, plaintext: str, context: str) -> str:
        nonce = os.urandom(12)
        sealed = self._aead.encrypt(nonce, plaintext.encode(), context.encode())
        return PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, ciphertext: str, context: str) -> str:
        if not ciphertext.startswith(PREFIX):
            raise ValueError("not a sealed value")
        raw = base64.urlsafe_b64decode(ciphertext[len(PREFIX) :])
        return self._aead.decrypt(raw[:12], raw[12:], context.encode()).decode()


def new_key_text() -> str:
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()

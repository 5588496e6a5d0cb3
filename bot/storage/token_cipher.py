"""Slack installation tokens encrypted at rest (``SECRETS_KEYS``).

The keys are Fernet keys (``peerloop secrets new-key``), comma-separated, newest first:
tokens are written with the newest and read with any of them (cryptography's MultiFernet),
so a new key goes in front, ``peerloop secrets rotate`` re-encrypts every stored token with
it, and the old key can then be dropped.

A stored value is either a token as Slack issued it (written without a key, as PeerLoop did
before keys existed) or ``fernet:`` followed by the Fernet token. Without keys PeerLoop reads
and writes plain tokens; an encrypted value then cannot be read and says so, naming the
setting and never the value.
"""

from __future__ import annotations

from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from pydantic import SecretStr

PREFIX = "fernet:"


class SecretsKeyError(RuntimeError):
    """A stored token cannot be read with the configured keys (the message names no value)."""


def parse_keys(value: str | None) -> list[str]:
    """``SECRETS_KEYS`` as a list (newest first), each checked to be a Fernet key."""
    keys = [k.strip() for k in (value or "").split(",") if k.strip()]
    for number, key in enumerate(keys, 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            raise ValueError(
                f"SECRETS_KEYS: key {number} is not a Fernet key (make one with `peerloop secrets new-key`)"
            ) from None
    return keys


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


class TokenCipher:
    """Encrypts tokens with the newest key and reads tokens written with any key (or none)."""

    def __init__(self, keys: Iterable[str] = ()) -> None:
        self.keys = list(keys)
        self._fernet = MultiFernet([Fernet(k) for k in self.keys]) if self.keys else None

    @classmethod
    def from_setting(cls, value: SecretStr | str | None) -> TokenCipher:
        """From ``SECRETS_KEYS`` (``Settings.secrets_keys``)."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return cls(parse_keys(value))

    @property
    def enabled(self) -> bool:
        return self._fernet is not None

    def encrypt(self, token: str | None) -> str | None:
        """What to store for ``token``: encrypted with the newest key, or as is without keys."""
        if token is None or self._fernet is None:
            return token
        return PREFIX + self._fernet.encrypt(token.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str | None) -> str | None:
        """The token behind a stored value (plain values, from before keys were set, as they are)."""
        if stored is None or not is_encrypted(stored):
            return stored
        if self._fernet is None:
            raise SecretsKeyError(
                "Slack installation tokens in the database are encrypted, but SECRETS_KEYS is not set: "
                "set it to the keys they were written with"
            )
        try:
            return self._fernet.decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise SecretsKeyError(
                "a Slack installation token in the database was encrypted with a key that is not in "
                "SECRETS_KEYS (was a key dropped before `peerloop secrets rotate` ran?)"
            ) from None

    def rotate(self, stored: str | None) -> str | None:
        """``stored`` re-encrypted with the newest key (plain values encrypted for the first time)."""
        if self._fernet is None:
            raise SecretsKeyError("set SECRETS_KEYS (newest key first) before rotating")
        return self.encrypt(self.decrypt(stored))

"""OAuth tokens at rest: each workspace's bot token is sealed with Fernet (cryptography) before it
is written to the database, with the keys in TOKEN_ENCRYPTION_KEYS, and opened when read.

Several keys make rotation possible: the first seals, every one of them opens (MultiFernet). To
rotate: put a new key first, restart, run `python -m bot keys rotate` (every stored token is
sealed again with the new key), then drop the old key. A sealed value starts with `fernet:`; a
token stored before keys were set (or without any) starts with `xox…` and is read as it is,
until `keys rotate` seals it."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

SEALED = "fernet:"


class TokenKeyError(Exception):
    """A stored token can't be opened with the keys given; str(e) says what to do."""


def new_key() -> str:
    return Fernet.generate_key().decode()


def check_key(key: str) -> bool:
    try:
        Fernet(key.encode())
    except (ValueError, TypeError):
        return False
    return True


class TokenCipher:
    def __init__(self, keys: tuple[str, ...] = ()):
        self._fernet = MultiFernet([Fernet(key.encode()) for key in keys]) if keys else None

    @property
    def sealing(self) -> bool:
        return self._fernet is not None

    def seal(self, token: str | None) -> str | None:
        """The token as it is stored: sealed with the first key, or as it is without keys."""
        if not token or self._fernet is None or token.startswith(SEALED):
            return token
        return SEALED + self._fernet.encrypt(token.encode()).decode()

    def open(self, stored: str | None) -> str | None:
        if not stored or not stored.startswith(SEALED):
            return stored
        if self._fernet is None:
            raise TokenKeyError(
                "the workspaces' tokens in the database are encrypted, and TOKEN_ENCRYPTION_KEYS"
                " is not set: set it to the key (or keys) they were encrypted with"
            )
        try:
            return self._fernet.decrypt(stored[len(SEALED) :].encode()).decode()
        except InvalidToken:
            raise TokenKeyError(
                "none of the keys in TOKEN_ENCRYPTION_KEYS opens the workspaces' tokens in the"
                " database: put the key they were encrypted with back in the list (a new key"
                " goes first, the old ones stay until `python -m bot keys rotate` has run)"
            ) from None

    def reseal(self, stored: str | None) -> str | None:
        """Sealed again with the first key (a plain token sealed for the first time)."""
        return self.seal(self.open(stored))

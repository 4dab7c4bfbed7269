"""Encryption at rest for zone TSIG secrets, keyed from DDNS_ENCRYPTION_KEY."""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings

HOST_SECRET_BYTES = 24  # 192 bits, shown once to the user


class SecretUnreadable(ValueError):
    """A stored secret was encrypted under another key than DDNS_ENCRYPTION_KEY."""


def _fernet(key: str | None = None) -> Fernet:
    # Any operator-chosen string becomes a valid Fernet key by hashing it.
    digest = hashlib.sha256((key or settings.DDNS_ENCRYPTION_KEY).encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "the stored secret cannot be decrypted with DDNS_ENCRYPTION_KEY"
        ) from None


def reencrypt(token: str, old_key: str) -> str | None:
    """The token encrypted under DDNS_ENCRYPTION_KEY, from either key; None if already so.

    Raises SecretUnreadable when neither key opens it.
    """
    try:
        _fernet().decrypt(token.encode())
        return None
    except InvalidToken:
        pass
    try:
        return MultiFernet([_fernet(), _fernet(old_key)]).rotate(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable("neither the old nor the new key decrypts this secret") from None


def new_host_secret() -> str:
    return secrets.token_urlsafe(HOST_SECRET_BYTES)


def secret_digest(secret: str) -> str:
    # Host secrets are long random tokens: a fast digest is enough and keeps the
    # update path free of slow password hashing.
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def secret_matches(secret: str, digest: str) -> bool:
    return hmac.compare_digest(secret_digest(secret), digest)


def new_tsig_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def tsig_secret_from(token: str) -> str:
    """A stable base64 TSIG secret derived from any persistent random token."""
    return base64.b64encode(hashlib.sha256(token.encode()).digest()).decode()

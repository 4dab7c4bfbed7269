"""Encryption at rest for zone TSIG secrets, keyed from DDNS_ENCRYPTION_KEY."""

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

HOST_SECRET_BYTES = 24  # 192 bits, shown once to the user


def _fernet() -> Fernet:
    # Any operator-chosen string becomes a valid Fernet key by hashing it.
    digest = hashlib.sha256(settings.DDNS_ENCRYPTION_KEY.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError("stored secret cannot be decrypted with DDNS_ENCRYPTION_KEY") from None


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

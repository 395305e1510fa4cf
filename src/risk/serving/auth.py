"""API keys: several named keys, stored hashed (scrypt with a salt), never in clear.

A key is ``rk_<key id>.<secret>``: the key id (12 hex digits) is public and says which hash to
check, so a request costs at most one scrypt, and a key whose id is unknown costs none. A key
file (``RISK_API_KEYS_FILE``, YAML or JSON) maps names to ``kid-<key id>$`` + hash::

    ops-team: kid-3f2a9c01b7e4$scrypt$16384$8$1$<salt hex>$<hash hex>
    erp-sync: kid-90b1...$scrypt$16384$8$1$...

``RISK_API_KEYS`` holds the same as ``name:hash,name2:hash2``. ``risk apikey NAME`` prints a new
key and its line. Lines of the earlier format (``scrypt$...`` or ``sha256$<hex>`` without a key
id) still work, but every key that is not of the new form is checked against each of them: the
service logs how many there are and asks to replace them. Requests send
``Authorization: Bearer <key>``.

Roles (for the web pages, ``risk.web``): a key is a ``viewer`` (reads) or a ``collector`` (may also
record collection actions). A key without a role is a viewer. The role is written as a mapping in
the file, or as a third field in the environment::

    ops-team: {hash: "scrypt$16384$8$1$...", role: collector}
    RISK_API_KEYS=ops-team:scrypt$...:collector,erp-sync:scrypt$...
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from risk.errors import ConfigError

logger = logging.getLogger(__name__)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_MAX_CACHE = 4096
KEY_PREFIX = "rk_"
KID_PREFIX = "kid-"
KID_LENGTH = 12
ROLES = ("viewer", "collector")
DEFAULT_ROLE = "viewer"


class AuthError(Exception):
    """A request is not authorised; ``status`` is 401 (no or malformed key) or 403 (wrong key)."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(message)


def hash_key(secret: str, salt: bytes | None = None) -> str:
    """scrypt hash of an API key, as ``scrypt$n$r$p$<salt hex>$<hash hex>``.

    >>> hash_key("s3cret", salt=b"0" * 16).startswith("scrypt$16384$8$1$")
    True
    """
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_key(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches a stored ``scrypt$...`` or ``sha256$<hex>`` hash (with or
    without its ``kid-<key id>$`` prefix).

    Raises:
        ConfigError: the stored hash is malformed.
    """
    scheme, _, rest = split_stored(stored)[1].partition("$")
    try:
        if scheme == "sha256":
            actual = hashlib.sha256(secret.encode()).hexdigest()
            return hmac.compare_digest(actual, rest.lower())
        if scheme == "scrypt":
            n, r, p, salt, expected = rest.split("$")
            actual = hashlib.scrypt(
                secret.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p)
            ).hex()
            return hmac.compare_digest(actual, expected.lower())
    except ValueError as exc:
        raise ConfigError(f"malformed API key hash {stored[:16]!r}...: {exc}") from exc
    raise ConfigError(f"unknown API key hash scheme {scheme!r}: use scrypt$... or sha256$...")


def new_key() -> tuple[str, str]:
    """A random API key ``rk_<key id>.<secret>`` and its stored form ``kid-<key id>$<hash>``."""
    kid = secrets.token_hex(KID_LENGTH // 2)
    secret = f"{KEY_PREFIX}{kid}.{secrets.token_urlsafe(32)}"
    return secret, f"{KID_PREFIX}{kid}${hash_key(secret)}"


def key_id(secret: str) -> str | None:
    """The public key id of a key of the ``rk_<key id>.<secret>`` form, else None.

    >>> key_id("rk_3f2a9c01b7e4.abc")
    '3f2a9c01b7e4'
    >>> key_id("an-old-key") is None
    True
    """
    head, dot, _ = secret.partition(".")
    kid = head.removeprefix(KEY_PREFIX)
    if not dot or not head.startswith(KEY_PREFIX) or len(kid) != KID_LENGTH:
        return None
    return kid if all(c in "0123456789abcdef" for c in kid) else None


def split_stored(stored: str) -> tuple[str | None, str]:
    """``kid-<id>$<hash>`` -> (id, hash); a hash without a key id -> (None, hash)."""
    if stored.startswith(KID_PREFIX):
        kid, _, hashed = stored.removeprefix(KID_PREFIX).partition("$")
        return kid, hashed
    return None, stored


def key_line(name: str, role: str | None = None) -> tuple[str, str]:
    """A new key for ``name`` and its line of the key file (``name: hash``, or
    ``name: {hash: ..., role: ...}`` with a role)."""
    if not name or any(c in name for c in ":,$ \t\n"):
        raise ConfigError(f"key name {name!r}: must be non-empty, without ':', ',', '$' or spaces")
    _check_role(role or DEFAULT_ROLE, name)
    secret, hashed = new_key()
    if role is None:
        return secret, f"{name}: {hashed}"
    return secret, f'{name}: {{hash: "{hashed}", role: {role}}}'


def _check_role(role: str, name: str) -> str:
    if role not in ROLES:
        raise ConfigError(f"API key {name!r}: role {role!r} is not one of {', '.join(ROLES)}")
    return role


def _split_env_entry(entry: str) -> tuple[str, str, str | None]:
    name, sep, rest = entry.partition(":")
    hashed, _, role = rest.partition(":")
    if not sep or not name.strip() or not hashed.strip():
        raise ConfigError(f"RISK_API_KEYS entry {entry[:24]!r}...: expected name:hash[:role]")
    return name.strip(), hashed.strip(), role.strip() or None


def parse_env_keys(text: str) -> dict[str, str]:
    """``name:hash,name2:hash2:role`` -> {name: hash} (the optional role is left out).

    Raises:
        ConfigError: an entry is not ``name:hash`` or ``name:hash:role``.
    """
    keys: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        name, hashed, _ = _split_env_entry(entry)
        keys[name] = hashed
    return keys


def _file_entries(path: Path) -> dict[str, str | dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"RISK_API_KEYS_FILE {path}: cannot read: {exc}") from exc
    if not isinstance(data, dict) or not all(
        isinstance(k, str)
        and (
            isinstance(v, str)
            or (
                isinstance(v, dict)
                and isinstance(v.get("hash"), str)
                and set(v) <= {"hash", "role"}
            )
        )
        for k, v in data.items()
    ):
        raise ConfigError(
            f"RISK_API_KEYS_FILE {path}: expected a mapping of names to hashes "
            "(or to {hash: ..., role: viewer|collector})"
        )
    return dict(data)


def key_roles(keys_file: Path | None, keys_env: str) -> dict[str, str]:
    """Role of every key (``viewer`` when none is given); the environment wins on a name clash.

    Raises:
        ConfigError: a key file or entry is malformed, or a role is unknown.
    """
    roles: dict[str, str] = {}
    for name, value in (_file_entries(keys_file) if keys_file else {}).items():
        role = value.get("role") if isinstance(value, dict) else None
        roles[name] = _check_role(str(role or DEFAULT_ROLE), name)
    for entry in filter(None, (part.strip() for part in keys_env.split(","))):
        name, _, role = _split_env_entry(entry)
        roles[name] = _check_role(role or DEFAULT_ROLE, name)
    return roles


def read_key_file(path: Path) -> dict[str, str]:
    """Read a YAML or JSON ``{name: hash}`` file (a value may be ``{hash: ..., role: ...}``).

    Raises:
        ConfigError: the file is missing or not a mapping of names to hashes.
    """
    return {
        name: value["hash"] if isinstance(value, dict) else value
        for name, value in _file_entries(path).items()
    }


@dataclass
class KeyRing:
    """Named key hashes and a cache of verified keys (scrypt runs once per key and process)."""

    hashes: Mapping[str, str]
    _known: dict[str, str | None] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, keys_file: Path | None, keys_env: str) -> KeyRing:
        """Keys of the file and of the environment (the environment wins on a name clash)."""
        hashes = read_key_file(keys_file) if keys_file else {}
        hashes.update(parse_env_keys(keys_env))
        for stored in hashes.values():
            if split_stored(stored)[1].partition("$")[0] not in ("scrypt", "sha256"):
                raise ConfigError("an API key hash is not scrypt$... or sha256$...")
        logger.info("%d API key(s) loaded: %s", len(hashes), ", ".join(sorted(hashes)))
        legacy = sorted(n for n, h in hashes.items() if split_stored(h)[0] is None)
        if legacy:
            logger.warning(
                "%d API key(s) without a key id (%s): every unrecognised key is checked against "
                "each of them; issue new keys with `risk apikey NAME` and remove these lines",
                len(legacy),
                ", ".join(legacy),
            )
        return cls(dict(hashes))

    def __post_init__(self) -> None:
        self._by_kid: dict[str, tuple[str, str]] = {}
        self._legacy: list[tuple[str, str]] = []
        for name, stored in self.hashes.items():
            kid, hashed = split_stored(stored)
            if kid is None:
                self._legacy.append((name, hashed))
            else:
                self._by_kid[kid] = (name, hashed)

    def _candidates(self, secret: str) -> list[tuple[str, str]]:
        kid = key_id(secret)
        if kid is not None:
            found = self._by_kid.get(kid)
            return [found] if found else []
        return self._legacy

    def cached(self, header: str | None) -> str | None:
        """Key name for a header whose key was verified before (no hashing), else None."""
        scheme, _, secret = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return None
        fingerprint = hashlib.sha256(secret.strip().encode()).hexdigest()
        with self._lock:
            return self._known.get(fingerprint)

    def identify(self, secret: str) -> str | None:
        """Name of the key ``secret`` is, or None."""
        fingerprint = hashlib.sha256(secret.encode()).hexdigest()
        with self._lock:
            if fingerprint in self._known:
                return self._known[fingerprint]
        name = next((n for n, h in self._candidates(secret) if verify_key(secret, h)), None)
        with self._lock:
            if len(self._known) >= _MAX_CACHE:
                self._known.clear()
            self._known[fingerprint] = name
        return name

    def authorise(self, header: str | None) -> str:
        """Key name for an ``Authorization`` header value.

        Raises:
            AuthError: 401 without a usable bearer key, 403 when the key is not known.
        """
        if not self.hashes:
            raise AuthError(
                401,
                "no API key is configured on this server: set RISK_API_KEYS_FILE or "
                "RISK_API_KEYS (create one with `risk apikey NAME`)",
            )
        scheme, _, secret = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise AuthError(401, "missing API key: send the header 'Authorization: Bearer <key>'")
        name = self.identify(secret.strip())
        if name is None:
            raise AuthError(403, "API key not recognised")
        return name

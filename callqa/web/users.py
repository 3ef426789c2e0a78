"""Reviewer accounts for `callqa serve`: a JSON file of names and scrypt password hashes.

hashlib.scrypt is in the standard library and is a memory-hard KDF, so no extra dependency
is needed for it; parameters are stored with each hash so they can be raised later.

Each user has a role: `admin` (manages users, and may review), `reviewer` (may confirm or
overturn), `auditor` (reads everything and exports, changes nothing). The file maps a name to
`{"hash": ..., "role": ...}`; a users file from before roles maps names to bare hash strings,
and those users are reviewers.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
NAME_PATTERN = re.compile(r"^[A-Za-z0-9._@-]{1,64}$")
ROLES = ("admin", "reviewer", "auditor")
DEFAULT_ROLE = "reviewer"  # users files written before roles existed
MAY_DECIDE = frozenset({"admin", "reviewer"})


class UsersError(ValueError):
    """A users file that cannot be read, or a bad user name or password."""


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=n, r=r, p=p, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@dataclass(frozen=True)
class Users:
    """name -> stored hash. Empty means no accounts are configured."""

    hashes: dict[str, str]
    roles: dict[str, str] = field(default_factory=dict)  # name -> role; missing: DEFAULT_ROLE

    def role(self, name: str) -> str:
        return self.roles.get(name, DEFAULT_ROLE)

    def verify(self, name: str, password: str) -> bool:
        stored = self.hashes.get(name)
        if stored is None:
            # Spend the same time on an unknown name as on a known one.
            verify_password(password, _dummy_hash())
            return False
        return verify_password(password, stored)


@functools.cache
def _dummy_hash() -> str:
    return hash_password("not-a-password")


def _entries(path: Path | None) -> dict[str, dict[str, str]]:
    """name -> {"hash", "role"}, from either file format."""
    if path is None or not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
        users = data["users"]
        if not isinstance(users, dict):
            raise TypeError("users must map names to entries")
        entries = {}
        for name, value in users.items():
            if isinstance(value, str):
                value = {"hash": value, "role": DEFAULT_ROLE}
            if not isinstance(value, dict) or not isinstance(value.get("hash"), str):
                raise TypeError(f"user {name!r}: an entry is a hash string or {{hash, role}}")
            role = value.get("role", DEFAULT_ROLE)
            if role not in ROLES:
                raise ValueError(f"user {name!r}: unknown role {role!r} (one of {', '.join(ROLES)})")
            entries[name] = {"hash": value["hash"], "role": role}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsersError(f"cannot read users file {path}: {exc}") from exc
    return entries


def load_users(path: Path | None) -> Users:
    entries = _entries(path)
    return Users({n: e["hash"] for n, e in entries.items()}, {n: e["role"] for n, e in entries.items()})


def _write(path: Path, entries: dict[str, dict[str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".users-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"users": entries}, fh, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        # A full disk or an interrupt: leave no stray copy of the password hashes behind.
        Path(tmp).unlink(missing_ok=True)
        raise


def add_user(path: Path, name: str, password: str, role: str = DEFAULT_ROLE) -> bool:
    """Add or replace one user; True if the name was new. The file is written atomically, mode 0600."""
    if not NAME_PATTERN.match(name):
        raise UsersError("a user name is 1-64 letters, digits or . _ @ -")
    if len(password) < 8:
        raise UsersError("a password needs at least 8 characters")
    if role not in ROLES:
        raise UsersError(f"a role is one of {', '.join(ROLES)}, not {role!r}")
    entries = _entries(path)
    is_new = name not in entries
    entries[name] = {"hash": hash_password(password), "role": role}
    _write(path, entries)
    return is_new


def remove_user(path: Path, name: str) -> bool:
    """Remove one user; False if there was no such user."""
    entries = _entries(path)
    if name not in entries:
        return False
    del entries[name]
    _write(path, entries)
    return True

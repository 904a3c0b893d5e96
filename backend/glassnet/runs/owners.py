"""Owners: who may change a run. A browser, the CLI or a script gets an owner key from the server
(POST /api/owners); the key is `<owner id>.<signature>`, an HMAC of the id under the server's secret and its
token, so a made-up key is refused and keys issued before a token was set (or changed) stop working.

Anyone with a run's id may read and watch it; changing it needs its owner's key or the server token (the
admin key). Runs stored before owners existed have no owner: readable by all, changeable with the token.
"""

import contextlib
import hashlib
import hmac
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from glassnet.ratelimit import PerMinute

KEY_HEADER = "X-Glassnet-Owner"
KEY_QUERY = "key"  # a stream cannot set headers: ?key=<key> (?owner= is the run list's filter)
MAX_KEY_CHARS = 100
KEY_PATTERN = re.compile(r"^([0-9a-f]{16})\.([0-9a-f]{32})$")


class Unauthorized(PermissionError):
    """A key was needed and is missing, malformed or not one this server issued (401)."""


class Forbidden(PermissionError):
    """A valid key, but not the owner's (403)."""


@dataclass(frozen=True)
class Caller:
    owner: str | None = None  # the owner id from a valid key
    admin: bool = False  # sent the server token

    def may_change(self, owner: str | None) -> bool:
        return self.admin or (owner is not None and owner == self.owner)

    def need_owner(self, what: str) -> str | None:
        """The caller's owner id, for something that records one (a run, an upload); the admin may have none."""
        if self.owner is None and not self.admin:
            raise Unauthorized(
                f"{KEY_HEADER}: missing; {what} needs your owner key (POST /api/owners issues one, "
                "the page and the CLI keep theirs)"
            )
        return self.owner


def check_change(caller: Caller, owner: str | None, run_id: str, what: str = "run") -> None:
    """Raise unless `caller` may change run (or `what`) `run_id` of `owner`."""
    if caller.may_change(owner):
        return
    if caller.owner is None:
        raise Unauthorized(f"{KEY_HEADER}: missing; changing {what} {run_id} needs its owner's key or the server token")
    if owner is None:
        raise Forbidden(f"{what} {run_id} was made before owners existed; only the server token may change it")
    raise Forbidden(f"{what} {run_id} belongs to another owner: you may watch it and fork it, not change it")


class Keys:
    """Issues and checks owner keys; rate-limits issuing per client address."""

    def __init__(self, data_dir: Path, token: str | None, per_minute: int) -> None:
        self.data_dir, self.token = data_dir, token
        self.mac_key: bytes | None = None  # read (or made) on first use: `glassnet openapi` writes nothing
        self.reading = threading.Lock()  # (the first keys may be asked for at once, from the routes' threads)
        self.issuing = PerMinute(per_minute)  # per client address

    def _sign(self, owner: str) -> str:
        if self.mac_key is None:
            with self.reading:
                if self.mac_key is None:
                    secret = server_secret(self.data_dir)
                    self.mac_key = hashlib.sha256(secret + (self.token or "").encode()).digest()
        return hmac.new(self.mac_key, owner.encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, address: str) -> tuple[str, str] | None:
        """A new (key, owner id), or None when `address` has had its share this minute."""
        if not self.issuing.allow(address):
            return None
        return self.mint()

    def mint(self) -> tuple[str, str]:
        """A new (key, owner id), without the per-address limit (a room's join has limits of its own)."""
        owner = secrets.token_hex(8)
        return f"{owner}.{self._sign(owner)}", owner

    def owner_of(self, key: str) -> str:
        """The owner id of `key`; Unauthorized naming what is wrong with it."""
        if not key:
            raise Unauthorized(f"{KEY_HEADER}: empty; send the key POST /api/owners issued, or no header at all")
        if len(key) > MAX_KEY_CHARS:
            raise Unauthorized(f"{KEY_HEADER}: {len(key)} characters is over the limit of {MAX_KEY_CHARS}")
        if not key.isascii():
            raise Unauthorized(f"{KEY_HEADER}: a key is ASCII (hex digits and a dot)")
        match = KEY_PATTERN.match(key)
        if match is None:
            raise Unauthorized(f"{KEY_HEADER}: not a key (it looks like <16 hex digits>.<32 hex digits>)")
        owner, signature = match.groups()
        if not hmac.compare_digest(signature, self._sign(owner)):
            raise Unauthorized(
                f"{KEY_HEADER}: this server did not issue that key (made up, or issued before its secret or token "
                "changed); get a new one with POST /api/owners"
            )
        return owner


def server_secret(data_dir: Path) -> bytes:
    """The server's signing secret, made once and kept (readable by the server's user only) in data_dir."""
    path = data_dir / "secret"
    if not path.is_file():
        data_dir.mkdir(parents=True, exist_ok=True)
        made = data_dir / f".secret-{secrets.token_hex(8)}"
        made.write_bytes(secrets.token_bytes(32))
        made.chmod(0o600)
        with contextlib.suppress(FileExistsError):  # another process made it first: its secret is the one
            os.link(made, path)  # (whole or not at all: a reader never sees half a secret)
        made.unlink()
    return path.read_bytes()

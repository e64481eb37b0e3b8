"""Whether the passphrase a fleet run hands its `pulumi` commands opens a stack's secrets.

A stack whose secrets provider is the passphrase (the default) cannot be previewed or updated
without it: Pulumi reads PULUMI_CONFIG_PASSPHRASE, else the file PULUMI_CONFIG_PASSPHRASE_FILE
names, and without either (and no terminal to ask on) fails the command. With a passphrase it
checks it before anything else: the salt it keeps (`encryptionsalt` in the stack file, the same
string in the checkpoint's `secrets_providers`) is `v1:<salt>:<check>`, where <check> is the word
"pulumi" encrypted with AES-256-GCM under a key derived from the passphrase and <salt> by PBKDF2
(SHA-256, 1,000,000 rounds); a passphrase that does not open <check> is "incorrect" and the
command fails (pkg/secrets/passphrase/manager.go, sdk/go/common/resource/config/crypt.go).

A stack answered without Pulumi (components/fleet/settled.py) must not hide that failure, so the
same check is made here. It costs what the CLI pays for it: one key derivation, about 0.4 s of
CPU, per distinct salt and run. The passphrase is held in memory only, and never shown.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from collections.abc import Mapping
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

PASSPHRASE = "PULUMI_CONFIG_PASSPHRASE"
PASSPHRASE_FILE = "PULUMI_CONFIG_PASSPHRASE_FILE"
ROUNDS = 1_000_000
KEY_BYTES = 32
CHECK_WORD = b"pulumi"


def _passphrase(env: Mapping[str, str], cwd: Path) -> bytes | None:
    """The passphrase as the CLI started in `cwd` with `env` reads it, or None when it would find
    none (or could not read the file it is pointed to)."""
    if PASSPHRASE in env:
        return env[PASSPHRASE].encode("utf-8", "surrogateescape")
    file = env.get(PASSPHRASE_FILE)
    if not file:
        return None
    try:
        text = (cwd / file).read_bytes().decode("utf-8", "surrogateescape")
    except OSError:
        return None
    return text.strip().encode("utf-8", "surrogateescape")


def _opens(passphrase: bytes, salt_state: str) -> bool:
    """Whether `passphrase` opens the check value of a `v1:<salt>:v1:<nonce>:<ciphertext>` state."""
    parts = salt_state.split(":", 2)
    if len(parts) != 3 or parts[0] != "v1":
        return False
    check = parts[2].split(":")
    if len(check) != 3 or check[0] != "v1":
        return False
    try:
        salt, nonce, sealed = (base64.b64decode(part, validate=True) for part in (parts[1], *check[1:]))
    except (binascii.Error, ValueError):
        return False
    if len(nonce) != 12:
        return False
    key = hashlib.pbkdf2_hmac("sha256", passphrase, salt, ROUNDS, KEY_BYTES)
    try:
        return AESGCM(key).decrypt(nonce, sealed, None) == CHECK_WORD
    except InvalidTag:
        return False


class PassphraseCheck:
    """The passphrase of one fleet run, and which salts it opens (each salt derived once)."""

    def __init__(self, env: Mapping[str, str], cwd: Path):
        self._passphrase = _passphrase(env, cwd)
        self._opened: dict[str, bool] = {}
        self._lock = threading.Lock()

    @property
    def given(self) -> bool:
        """Whether the CLI would find a passphrase at all."""
        return self._passphrase is not None

    def opens(self, salt_state: str) -> bool:
        """Whether the run's passphrase opens this salt, as Pulumi checks it before a preview or up.
        Workers ask in parallel: the key derivation runs outside the lock (hashlib releases the GIL)."""
        if self._passphrase is None:
            return False
        with self._lock:
            known = self._opened.get(salt_state)
        if known is None:
            known = _opens(self._passphrase, salt_state)
            with self._lock:
                self._opened[salt_state] = known
        return known

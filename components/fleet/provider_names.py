"""Stacks deployed before the package was named `ssoprov` (0.1, when it imported as `components`).

A dynamic resource's state carries its provider, pickled by reference: the module and class name
(`components.entra.application._ApplicationProvider`). The engine unpickles the recorded provider,
not the program's, for `refresh` and for deleting a resource (`destroy`, or one dropped from the
spec), and `up` rewrites it only for resources it updates. So after the rename those operations
would fail with "No module named 'components'". `ssoprov upgrade-state` rewrites each recorded
provider under its new module name: the same class, the same attributes, nothing else touched.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Mapping, MutableMapping
from typing import Any

import dill
from pulumi.dynamic.dynamic import serialize_provider

OLD_PACKAGE = "components"
NEW_PACKAGE = "ssoprov"
PROVIDER_KEY = "__provider"
"""Where the Python SDK keeps a dynamic resource's pickled provider, in inputs and outputs."""


class _RenamingUnpickler(dill.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == OLD_PACKAGE or module.startswith(OLD_PACKAGE + "."):
            module = NEW_PACKAGE + module[len(OLD_PACKAGE) :]
        return super().find_class(module, name)


def renamed_provider(serialized: str) -> str | None:
    """The provider pickled under ssoprov's module names, or None when it names no old module."""
    raw = base64.b64decode(serialized)
    if OLD_PACKAGE.encode() not in raw:
        return None
    provider = _RenamingUnpickler(io.BytesIO(raw)).load()
    renamed = serialize_provider(provider)
    return renamed if renamed != serialized else None


def rename_providers(deployment: MutableMapping[str, Any], revealed: Mapping[str, Any]) -> int:
    """Rewrite, in place, every recorded provider of `deployment` (a `pulumi stack export`, secrets
    encrypted) that names the old package; the number of resources changed.

    The SDK stores a provider as a secret (it may capture secrets). Its value is read from
    `revealed`, the same stack exported with `--show-secrets`, and written back as a plaintext
    envelope, which `pulumi stack import` encrypts: every other secret stays as it was encrypted.
    """
    plaintexts = {
        (resource["urn"], part): (resource.get(part) or {}).get(PROVIDER_KEY)
        for resource in revealed.get("resources") or []
        for part in ("inputs", "outputs")
    }
    changed = 0
    for resource in deployment.get("resources") or []:
        touched = False
        for part in ("inputs", "outputs"):
            properties = resource.get(part) or {}
            if PROVIDER_KEY not in properties:
                continue
            recorded = plaintexts.get((resource["urn"], part))
            secret = isinstance(recorded, Mapping) and "plaintext" in recorded
            serialized = json.loads(recorded["plaintext"]) if secret else recorded
            renamed = renamed_provider(serialized) if isinstance(serialized, str) else None
            if renamed is not None:
                properties[PROVIDER_KEY] = (
                    {**recorded, "plaintext": json.dumps(renamed)} if secret else renamed
                )
                touched = True
        changed += touched
    return changed

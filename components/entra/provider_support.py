"""What the Entra providers share: a GraphClient per call, imported on first use, and input checks.

The Pulumi program imports every provider module to declare resources but never calls Graph;
msgraph-sdk costs about two seconds to import. So provider modules import no msgraph at module
level: each CRUD call gets its client here, and only the provider process pays for the import.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.entra.graph_client import GraphClient

STACK_KEY_PREFIX = "ssoprov:organization."
"""Where every spec value lives in a stack file; error messages name the full key."""


def graph_client() -> GraphClient:
    """A client for this call, aimed by the provider process's environment (`SSOPROV_GRAPH_URL`
    for the sandbox, else the real Graph with DefaultAzureCredential): no credential is an input."""
    from components.entra.graph_client import graph_client_from_env

    return graph_client_from_env()


def require_strings(resource: str, props: Mapping[str, Any], keys: Iterable[str]) -> None:
    """Raise ValueError naming the inputs in `keys` that are not non-empty strings."""
    missing = [key for key in keys if not isinstance(props.get(key), str) or not props[key]]
    if missing:
        raise ValueError(f"{resource}: inputs {missing} must be non-empty strings")

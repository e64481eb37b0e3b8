"""What the Entra providers share: a GraphClient per call, imported on first use, and input checks.

The Pulumi program imports every provider module to declare resources but never calls Graph;
msgraph-sdk costs about two seconds to import. So provider modules import no msgraph at module
level: each CRUD call gets its client here, and only the provider process pays for the import.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from ssoprov.dynamic import run_async
from ssoprov.errors import NotFoundError, RetryBudgetExceeded

if TYPE_CHECKING:
    from ssoprov.entra.graph_client import GraphClient

T = TypeVar("T")

STACK_KEY_PREFIX = "ssoprov:organization."
"""Where every spec value lives in a stack file; error messages name the full key."""


def graph_client(tenant_id: str) -> GraphClient:
    """A client for this call in the customer's tenant `tenant_id` (the resource's input), aimed
    by the provider process's environment (`SSOPROV_GRAPH_URL` for the sandbox, else the real
    Graph with DefaultAzureCredential): no credential is an input."""
    from ssoprov.entra.graph_client import graph_client_from_env

    return graph_client_from_env(tenant_id)


def read_existing(
    read: Callable[[GraphClient], Awaitable[T]], *, tenant_id: str, object_id: str, created_at: str | None
) -> T | None:
    """Run a provider's `read` call; None when the object is gone (the read then returns `gone()`).

    `created_at` is when an earlier run created `object_id` (the object the call fetches): until
    Graph's replicas have all seen it, a 404 is lag and is retried, so a refresh right after an up
    does not drop a new object from state. A 404 that outlasts the retries means gone.
    """
    from ssoprov.entra.graph_client import replication_lag_expected

    try:
        with replication_lag_expected(object_id, created_at):
            return run_async(read(graph_client(tenant_id)))
    except NotFoundError:
        return None
    except RetryBudgetExceeded as exc:
        if isinstance(exc.__cause__, NotFoundError):
            return None
        raise


def delete_existing(delete: Callable[[GraphClient], Awaitable[None]], *, tenant_id: str) -> None:
    """Run a provider's `delete` call; an object already gone (404, even after retries) is fine."""
    try:
        run_async(delete(graph_client(tenant_id)))
    except NotFoundError:
        return
    except RetryBudgetExceeded as exc:
        if not isinstance(exc.__cause__, NotFoundError):
            raise


def require_strings(resource: str, props: Mapping[str, Any], keys: Iterable[str]) -> None:
    """Raise ValueError naming the inputs in `keys` that are not non-empty strings."""
    missing = [key for key in keys if not isinstance(props.get(key), str) or not props[key]]
    if missing:
        raise ValueError(f"{resource}: inputs {missing} must be non-empty strings")

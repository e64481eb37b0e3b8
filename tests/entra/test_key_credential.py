"""The key-credential resource's diff: state written before realm-key rotation (one `certificate`)
reads as a list of one, so an `up` of an existing stack changes nothing; a staged key is an update."""

from __future__ import annotations

from ssoprov.entra.key_credential import _EntraKeyCredentialProvider

TENANT = {
    "tenant_id": "8f3c1a52-7e4b-4c0d-9a61-2b5d9e7f0c13",
    "application_object_id": "app-1",
    "display_name": "d",
}


def test_state_of_one_certificate_matches_the_same_certificate_as_a_list() -> None:
    recorded = {**TENANT, "certificate": "MIIC-old", "key_id": "k-1", "thumbprint": "ab"}
    provider = _EntraKeyCredentialProvider()

    same = provider.diff("k-1", recorded, {**TENANT, "certificates": ["MIIC-old"]})
    staged = provider.diff("k-1", recorded, {**TENANT, "certificates": ["MIIC-old", "MIIC-new"]})

    assert not same.changes
    assert staged.changes and not staged.replaces

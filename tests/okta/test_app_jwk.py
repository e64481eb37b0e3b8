"""The app-JWK resource's diff: state written before realm-key rotation (one `jwk`) reads as a list
of one, so an `up` of an existing stack changes nothing; a staged key is an update."""

from __future__ import annotations

from ssoprov.okta.app_jwk import _OktaAppJwkProvider

APP = {"org_url": "https://acme.okta.com", "app_id": "0oa1"}
OLD = {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "k-old", "n": "AQAB-old", "e": "AQAB"}
NEW = {**OLD, "kid": "k-new", "n": "AQAB-new"}


def test_state_of_one_jwk_matches_the_same_key_as_a_list() -> None:
    recorded = {**APP, "jwk": OLD, "key_id": "pks1", "kid": "k-old", "status": "ACTIVE"}
    provider = _OktaAppJwkProvider()

    same = provider.diff("pks1", recorded, {**APP, "jwks": [OLD]})
    staged = provider.diff("pks1", recorded, {**APP, "jwks": [OLD, NEW]})

    assert not same.changes
    assert staged.changes and not staged.replaces

"""The SAML 2.0 app provider: exact diff, and create/read/update/delete against the stand-in, with
drift of the fixed settings and a signing key switched in the admin console reported by read."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sandbox.okta.saml_apps import public_metadata_path
from ssoprov.okta.saml_app import EMAIL_FORMAT, _OktaSamlAppProvider
from tests.okta.conftest import OktaSandbox

provider = _OktaSamlAppProvider()
ACS = "https://sso.example.com/realms/acme/broker/acme/endpoint"
INPUTS: dict[str, Any] = {
    "org_url": "https://acme.okta.com",
    "label": "Acme SSO",
    "acs_url": ACS,
    "audience": f"{ACS}/descriptor",
    "name_id_format": EMAIL_FORMAT,
    "groups_attribute": {"name": "groups", "filter_type": "starts_with", "value": "Eng"},
}
STATE = {**INPUTS, "app_id": "0oa1", "status": "ACTIVE", "drifted": []}


def test_diff_is_exact_settings_update_in_place_and_org_url_replaces() -> None:
    assert provider.diff("0oa1", STATE, dict(INPUTS)).changes is False
    changes = (
        ("label", "Acme"),
        ("acs_url", "https://sso.example.com/realms/acme/broker/other/endpoint"),
        ("audience", "urn:acme"),
        ("name_id_format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"),
        ("groups_attribute", {"name": "groups", "filter_type": "regex", "value": ".*"}),
    )
    for key, value in changes:
        result = provider.diff("0oa1", STATE, {**INPUTS, key: value})
        assert result.changes is True and result.replaces == [], key
    moved = provider.diff("0oa1", STATE, {**INPUTS, "org_url": "https://acme2.okta.com"})
    assert moved.replaces == ["org_url"] and moved.delete_before_replace is False
    assert provider.diff("0oa1", {**STATE, "drifted": ["responseSigned"]}, dict(INPUTS)).changes is True


def test_create_read_drift_update_delete(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    props = {**INPUTS, "org_url": okta_env.url}

    created = provider.create(dict(props))
    outs = created.outs or {}
    app = store.get_saml_app(created.id)
    [key] = store.saml_keys(app.id)
    sign_on = app.sign_on
    assert (sign_on["ssoAcsUrl"], sign_on["recipient"], sign_on["destination"]) == (ACS, ACS, ACS)
    assert sign_on["audience"] == f"{ACS}/descriptor" and sign_on["subjectNameIdTemplate"] == "${user.email}"
    assert sign_on["responseSigned"] and sign_on["assertionSigned"]
    assert sign_on["signatureAlgorithm"] == "RSA_SHA256" and sign_on["digestAlgorithm"] == "SHA256"
    [group] = [s for s in sign_on["attributeStatements"] if s["type"] == "GROUP"]
    assert (group["name"], group["filterType"], group["filterValue"]) == ("groups", "STARTS_WITH", "Eng")
    assert {k: outs[k] for k in INPUTS} == props
    assert outs["metadata_url"] == okta_env.url + public_metadata_path(app)
    assert httpx.get(outs["metadata_url"]).status_code == 200  # public: the broker sends no token
    assert outs["idp_entity_id"] == f"http://www.okta.com/{app.issuer_key}"
    assert outs["signing_kid"] == key.kid and outs["drifted"] == []
    assert "signing_certificates" not in outs  # the keys are OktaSamlSigningKeys'

    assert provider.read(created.id, outs).outs == outs
    store.replace_saml_app(
        app.id,
        label="Renamed in the console",
        sign_on={**sign_on, "responseSigned": False},
        signing_kid=None,
    )
    drifted = provider.read(created.id, outs).outs or {}
    assert drifted["label"] == "Renamed in the console" and drifted["drifted"] == ["responseSigned"]
    assert provider.diff(created.id, drifted, props).changes is True

    moved = {**props, "groups_attribute": {"name": "memberOf", "filter_type": "regex", "value": ".*"}}
    updated = provider.update(created.id, drifted, moved).outs or {}
    now = store.get_saml_app(app.id)
    assert now.label == "Acme SSO" and now.sign_on["responseSigned"] is True
    assert updated["groups_attribute"] == moved["groups_attribute"] and updated["drifted"] == []
    assert not provider.diff(created.id, provider.read(created.id, updated).outs, moved).changes

    provider.delete(created.id, updated)
    assert provider.read(created.id, updated).id is None
    provider.delete(created.id, updated)  # already gone is fine


def test_a_key_switched_in_the_admin_console_reaches_the_outputs(okta_env: OktaSandbox) -> None:
    store = okta_env.stand_in.store
    created = provider.create({**INPUTS, "org_url": okta_env.url})
    staged = store.generate_saml_key(created.id, 2)
    app = store.get_saml_app(created.id)
    store.replace_saml_app(app.id, label=app.label, sign_on=app.sign_on, signing_kid=staged.kid)

    read = provider.read(created.id, created.outs or {}).outs or {}

    assert read["signing_kid"] == staged.kid
    provider.delete(created.id, read)


@pytest.mark.parametrize(
    ("key", "value"), [("acs_url", ""), ("groups_attribute", {"name": "groups", "value": ".*"})]
)
def test_incomplete_inputs_are_refused_before_any_call(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=key):
        provider.create({**INPUTS, key: value})

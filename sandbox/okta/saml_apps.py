"""Custom SAML 2.0 apps (`signOnMode: SAML_2_0`): the request checks and the apps' URLs (their JSON
is `render.saml_app_json`).

Held to the `SamlApplication` schemas of Okta's Management API: `settings.signOn` needs `ssoAcsUrl`
(or `destinationOverride`, not modelled); either the response or the assertion is signed; the
NameID format is one of the five documented URNs; attribute statements are EXPRESSION (values in
Okta Expression Language) or GROUP (a filter over the user's group names, the filter types of the
OIDC groups claim) and their names are unique. Limits of the stand-in, refused with a message
that says so: only RSA_SHA256/SHA256 signing and only `user.<profile attribute>` expressions.
"""

from __future__ import annotations

import copy
from urllib.parse import urlsplit

from sandbox.common.saml_idp import NAME_ID_FORMATS
from sandbox.okta import errors
from sandbox.okta.store import SamlApp

ATTRIBUTE_NAME_FORMATS = (
    "urn:oasis:names:tc:SAML:2.0:attrname-format:basic",
    "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
    "urn:oasis:names:tc:SAML:2.0:attrname-format:unspecified",
)
GROUP_FILTER_TYPES = ("STARTS_WITH", "EQUALS", "CONTAINS", "REGEX")
USER_EXPRESSIONS = {
    "user.login": "login",
    "user.email": "email",
    "user.firstName": "first_name",
    "user.lastName": "last_name",
}
"""The Okta Expression Language the stand-in evaluates: a user profile attribute, by name."""
DEFAULT_NAME_ID_TEMPLATE = "${user.userName}"
_FLAGS = {
    "allowMultipleAcsEndpoints": False,
    "assertionSigned": True,
    "honorForceAuthn": True,
    "requestCompressed": False,
    "responseSigned": True,
}
"""The schema's required booleans, with what a new app gets when the request leaves one out."""


def parse_saml_app(body: object) -> dict:
    """Check a SAML app body as Okta does; the store's fields for it."""
    if not isinstance(body, dict):
        raise errors.malformed_body()
    label = body.get("label")
    if not isinstance(label, str) or not label.strip():
        raise errors.validation_failed("label", "label: The field cannot be left blank.")
    settings = body.get("settings") or {}
    sign_on = settings.get("signOn") if isinstance(settings, dict) else None
    if not isinstance(sign_on, dict) or not sign_on.get("ssoAcsUrl"):
        raise errors.validation_failed("ssoAcsUrl", "ssoAcsUrl: The field cannot be left blank.")
    checked = {**_FLAGS, **copy.deepcopy(sign_on)}
    for flag in _FLAGS:
        if not isinstance(checked[flag], bool):
            raise errors.validation_failed(flag, f"{flag}: must be a boolean.")
    if not (checked["assertionSigned"] or checked["responseSigned"]):
        raise errors.validation_failed(
            "responseSigned", "responseSigned: Either the response or the assertion must be signed."
        )
    for key in ("ssoAcsUrl", "recipient", "destination"):
        checked.setdefault(key, sign_on["ssoAcsUrl"])
        _absolute_url(key, checked[key])
    checked.setdefault("audience", sign_on["ssoAcsUrl"])
    checked.setdefault("subjectNameIdTemplate", DEFAULT_NAME_ID_TEMPLATE)
    name_id_format = checked.setdefault("subjectNameIdFormat", NAME_ID_FORMATS["unspecified"])
    if name_id_format not in NAME_ID_FORMATS.values():
        raise errors.validation_failed(
            "subjectNameIdFormat", f"subjectNameIdFormat: '{name_id_format}' is not a supported value."
        )
    for key, supported in (("signatureAlgorithm", "RSA_SHA256"), ("digestAlgorithm", "SHA256")):
        if checked.setdefault(key, supported) != supported:
            raise errors.validation_failed(
                key, f"{key}: the stand-in signs with {supported} only, not {checked[key]!r}."
            )
    checked["attributeStatements"] = _attribute_statements(checked.get("attributeStatements") or [])
    checked.setdefault("idpIssuer", "http://www.okta.com/${org.externalKey}")
    checked.setdefault(
        "authnContextClassRef", "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
    )
    extra = {k: v for k, v in settings.items() if k != "signOn"}
    signing = (body.get("credentials") or {}).get("signing") or {}
    return {
        "label": label,
        "sign_on": checked,
        "signing_kid": signing.get("kid"),
        "settings_extra": extra,
        "accessibility": body.get("accessibility"),
        "visibility": body.get("visibility"),
    }


def _absolute_url(key: str, value: object) -> None:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
        raise errors.validation_failed(key, f"{key}: '{value}' must be an absolute URL.")


def _attribute_statements(statements: object) -> list[dict]:
    if not isinstance(statements, list):
        raise errors.validation_failed("attributeStatements", "attributeStatements: must be an array.")
    names: set[str] = set()
    checked = []
    for statement in statements:
        if not isinstance(statement, dict) or statement.get("type") not in ("EXPRESSION", "GROUP"):
            raise errors.validation_failed(
                "attributeStatements", "attributeStatements: type must be EXPRESSION or GROUP."
            )
        name = statement.get("name")
        if not isinstance(name, str) or not name or name in names:
            raise errors.validation_failed(
                "attributeStatements",
                "attributeStatements: The attribute name must be unique across all user and group "
                "attribute statements.",
            )
        names.add(name)
        entry = {"namespace": ATTRIBUTE_NAME_FORMATS[0], **statement}
        if entry["namespace"] not in ATTRIBUTE_NAME_FORMATS:
            raise errors.validation_failed(
                "attributeStatements", f"namespace: '{entry['namespace']}' is invalid."
            )
        if entry["type"] == "GROUP":
            if entry.get("filterType") not in GROUP_FILTER_TYPES or not isinstance(
                entry.get("filterValue"), str
            ):
                raise errors.validation_failed(
                    "attributeStatements",
                    f"filterType: must be one of {', '.join(GROUP_FILTER_TYPES)}, with a filterValue.",
                )
        else:
            values = entry.get("values")
            if not isinstance(values, list) or not all(v in USER_EXPRESSIONS for v in values):
                raise errors.validation_failed(
                    "attributeStatements",
                    f"values: the stand-in evaluates only these expressions: {', '.join(USER_EXPRESSIONS)}.",
                )
        checked.append(entry)
    return checked


def public_metadata_path(app: SamlApp) -> str:
    """Where customers fetch the app's metadata without a token (the Sign On tab's link)."""
    return f"/app/{app.issuer_key}/sso/saml/metadata"


def sso_path(app: SamlApp) -> str:
    """The app's Identity Provider Single Sign-On URL."""
    return f"/app/{app.name}/{app.issuer_key}/sso/saml"

"""The SAML side of a WorkOS connection's API: `saml_options` on PATCH /connections/{id}, and the
IdP signing certificates at /connections/{id}/saml_idp_signing_certs[/{certificate_id}].

As the workos SDK 10.8.0 documents them (sso/_resource.py, sso/models/*saml*):
- `saml_options.idp_metadata_url` re-imports the IdP's entity ID, SSO URL and signing certificates
  from the metadata document, replacing the certificates the connection had; `acs_url` and
  `sp_entity_id` are overrides of WorkOS's generated values (null reverts to them); `idp_entity_id`
  and `idp_sso_url` are the manual alternative to the metadata URL (not both);
- `POST /connections` takes the same `saml_options` (CreateConnectionSAMLOptions) to make a SAML
  connection configured at once: the metadata URL, or the manual fields, where `idp_sso_url` and
  `idp_signing_certs` (PEM) are then required; customer-owned SP key pairs (`sp_signing_key_pair`,
  `sp_encryption_key_pairs`) are not emulated and are refused, so WorkOS's generated ones apply;
- the certificate list holds every certificate, expired ones too, oldest first; a create takes one
  PEM certificate (`value`) and appends it, so a rotation overlaps old and new; the last certificate
  cannot be deleted. A metadata URL that cannot be read, or a value that is not a certificate, is
  422 with a code of the stand-in's naming (the SDK names no such codes).
"""

from __future__ import annotations

import base64
import textwrap
from dataclasses import dataclass
from typing import Any

import httpx
from cryptography import x509
from lxml import etree

from sandbox.common.saml_idp import DSIG_NS, METADATA_NS, REDIRECT_BINDING
from sandbox.workos.store import Connection, IdpSigningCertificate, SamlOptions
from sandbox.workos.wire import check_url, invalid_parameters, rule_error, timestamp

SAML_OPTION_KEYS = frozenset({"idp_metadata_url", "acs_url", "sp_entity_id", "idp_entity_id", "idp_sso_url"})
_CUSTOMER_KEY_PAIRS = ("sp_signing_key_pair", "sp_encryption_key_pairs")
SAML_CREATE_KEYS = SAML_OPTION_KEYS | {"idp_signing_certs", *_CUSTOMER_KEY_PAIRS}
SAML_CONNECTION_TYPES = frozenset(
    {
        "ADFSSAML", "Auth0SAML", "AzureSAML", "CasSAML", "ClassLinkSAML", "CloudflareSAML",
        "CyberArkSAML", "DuoSAML", "GenericSAML", "GoogleSAML", "JumpCloudSAML", "KeycloakSAML",
        "LastPassSAML", "MiniOrangeSAML", "NetIqSAML", "OktaSAML", "OneLoginSAML", "OracleSAML",
        "PingFederateSAML", "PingOneSAML", "RipplingSAML", "SalesforceSAML", "ShibbolethGenericSAML",
        "ShibbolethSAML", "SimpleSamlPhpSAML", "VMwareSAML",
    }
)  # fmt: skip
"""The SAML values of the SDK's ConnectionsConnectionType."""
METADATA_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sso_url: str
    certificates: list[str]
    """PEM."""


def saml_options_of(connection: Connection) -> SamlOptions:
    """The connection's SAML options; 422 connection_is_not_saml for an OIDC connection."""
    if connection.saml is None:
        raise rule_error("connection_is_not_saml", f"Connection '{connection.id}' is not a SAML connection.")
    return connection.saml


def check_saml_patch(raw: Any) -> dict[str, Any]:
    """The `saml_options` of a PATCH, checked for shape (nothing fetched yet)."""
    if not isinstance(raw, dict):
        raise invalid_parameters(("invalid_saml_options", "saml_options must be an object"))
    unknown = sorted(set(raw) - SAML_OPTION_KEYS)
    if unknown:
        raise invalid_parameters(
            *((f"unknown_{key}", f"saml_options.{key} is not a known option") for key in unknown)
        )
    manual = [key for key in ("idp_entity_id", "idp_sso_url") if raw.get(key) is not None]
    if raw.get("idp_metadata_url") is not None and manual:
        raise _metadata_and_manual_fields()
    for key in ("idp_metadata_url", "acs_url", "idp_sso_url"):
        if raw.get(key) is not None:
            check_url(raw[key], key)
    for key in ("sp_entity_id", "idp_entity_id"):
        if raw.get(key) is not None and (not isinstance(raw[key], str) or not raw[key]):
            raise invalid_parameters((f"invalid_{key}", f"saml_options.{key} must be a non-empty string"))
    return raw


def check_saml_create(raw: Any) -> tuple[dict[str, Any], list[IdpSigningCertificate]]:
    """The `saml_options` of a create, checked (nothing fetched yet): the options as a PATCH would
    apply them, and the manual `idp_signing_certs`."""
    if not isinstance(raw, dict):
        raise invalid_parameters(("invalid_saml_options", "saml_options must be an object"))
    unknown = sorted(set(raw) - SAML_CREATE_KEYS)
    if unknown:
        raise invalid_parameters(
            *((f"unknown_{key}", f"saml_options.{key} is not a known option") for key in unknown)
        )
    if any(raw.get(key) is not None for key in _CUSTOMER_KEY_PAIRS):
        raise rule_error(
            "customer_key_pairs_not_supported",
            "This WorkOS stand-in does not emulate customer-owned SP key pairs "
            "(saml_options.sp_signing_key_pair, sp_encryption_key_pairs); leave them out to use "
            "WorkOS's generated ones.",
        )
    pems = raw.get("idp_signing_certs")
    options = check_saml_patch({k: v for k, v in raw.items() if k in SAML_OPTION_KEYS})
    if options.get("idp_metadata_url") is not None:
        if pems is not None:
            raise _metadata_and_manual_fields()
        return options, []
    if options.get("idp_sso_url") is None:
        raise invalid_parameters(
            (
                "idp_metadata_url_or_idp_sso_url_required",
                "Provide saml_options.idp_metadata_url or idp_sso_url.",
            )
        )
    if not isinstance(pems, list) or not pems or not all(isinstance(pem, str) for pem in pems):
        raise invalid_parameters(
            ("idp_signing_certs_required", "saml_options.idp_signing_certs must list PEM certificates")
        )
    try:
        return options, [IdpSigningCertificate.from_pem(pem) for pem in pems]
    except ValueError:
        raise rule_error(
            "invalid_certificate", "An idp_signing_certs entry is not a PEM X.509 certificate."
        ) from None


async def read_metadata(url: str) -> IdpMetadata:
    """The IdP's entity ID, Redirect-binding SSO URL and signing certificates from its metadata."""
    try:
        async with httpx.AsyncClient(timeout=METADATA_TIMEOUT_SECONDS) as http:
            answer = await http.get(url)
    except httpx.HTTPError as exc:
        raise _bad_metadata(url, f"it could not be fetched ({exc.__class__.__name__})") from None
    if answer.status_code != 200:
        raise _bad_metadata(url, f"it answered {answer.status_code}")
    try:
        root = etree.fromstring(
            answer.content, parser=etree.XMLParser(resolve_entities=False, no_network=True)
        )
    except etree.XMLSyntaxError:
        raise _bad_metadata(url, "it is not XML") from None
    descriptor = root.find(f"{{{METADATA_NS}}}IDPSSODescriptor")
    sso_urls = [] if descriptor is None else descriptor.findall(f"{{{METADATA_NS}}}SingleSignOnService")
    redirect = [s.get("Location") for s in sso_urls if s.get("Binding") == REDIRECT_BINDING]
    keys = [] if descriptor is None else descriptor.findall(f"{{{METADATA_NS}}}KeyDescriptor")
    try:
        certificates = [
            _pem("".join((element.text or "").split()))
            for key in keys
            if key.get("use") in (None, "signing")
            for element in key.iter(f"{{{DSIG_NS}}}X509Certificate")
        ]
    except ValueError:
        raise _bad_metadata(url, "a signing certificate in it is not an X.509 certificate") from None
    if not root.get("entityID") or not redirect or not redirect[0] or not certificates:
        raise _bad_metadata(url, "it names no entity ID, no HTTP-Redirect SSO URL or no signing certificate")
    return IdpMetadata(root.get("entityID", ""), redirect[0], certificates)


def apply_saml_patch(options: SamlOptions, raw: dict[str, Any], metadata: IdpMetadata | None) -> None:
    """Apply a checked `saml_options` (and the metadata it named, read beforehand)."""
    if metadata is not None:
        options.idp_metadata_url = raw["idp_metadata_url"]
        options.idp_entity_id, options.idp_sso_url = metadata.entity_id, metadata.sso_url
        options.certificates = [IdpSigningCertificate.from_pem(pem) for pem in metadata.certificates]
    elif "idp_metadata_url" in raw:  # null: stop tracking the metadata URL, keep what was imported
        options.idp_metadata_url = None
    if "acs_url" in raw:  # null: back to WorkOS's generated one
        options.acs_url = raw["acs_url"] or options.standard_acs_url
    if "sp_entity_id" in raw:
        options.sp_entity_id = raw["sp_entity_id"] or options.standard_sp_entity_id
    for key in ("idp_entity_id", "idp_sso_url"):
        if raw.get(key) is not None:
            setattr(options, key, raw[key])
            options.idp_metadata_url = None


def add_certificate(options: SamlOptions, body: dict[str, Any]) -> IdpSigningCertificate:
    value = body.get("value")
    if not isinstance(value, str) or not value.strip():
        raise invalid_parameters(("value_required", "value must be a PEM-encoded X.509 certificate"))
    try:
        certificate = IdpSigningCertificate.from_pem(value)
    except ValueError:
        raise rule_error("invalid_certificate", "value is not a PEM-encoded X.509 certificate.") from None
    options.certificates.append(certificate)
    return certificate


def remove_certificate(connection: Connection, certificate_id: str) -> None:
    options = saml_options_of(connection)
    found = [c for c in options.certificates if c.id == certificate_id]
    if not found:
        raise rule_error(
            "entity_not_found", f"SAML IdP signing certificate not found: '{certificate_id}'.", 404
        )
    if len(options.certificates) == 1:
        raise rule_error(
            "last_idp_signing_certificate",
            f"Certificate '{certificate_id}' is the last IdP signing certificate of connection "
            f"'{connection.id}' and cannot be deleted.",
            400,
        )
    options.certificates.remove(found[0])
    connection.updated_at = timestamp()


def _pem(base64_der: str) -> str:
    """PEM of a base64 DER certificate; ValueError if it is none."""
    x509.load_der_x509_certificate(base64.b64decode(base64_der, validate=True))
    body = "\n".join(textwrap.wrap(base64_der, 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n"


def _metadata_and_manual_fields() -> Exception:
    return rule_error(
        "idp_metadata_url_and_manual_fields_provided",
        "Provide saml_options.idp_metadata_url or the manual IdP fields, not both.",
    )


def _bad_metadata(url: str, why: str) -> Exception:
    return rule_error("invalid_idp_metadata", f"The IdP metadata at '{url}' could not be used: {why}.")

"""Constrained field types shared by the spec models."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, StringConstraints

from ssoprov.spec.problems import fixable
from ssoprov.wording import counted

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}

SLUG_MAX_LENGTH = 63
"""A DNS label's length: the name goes into aliases, URLs and resource names."""


def _characters_outside(value: str, allowed: str) -> str:
    found = sorted({char for char in value if char not in allowed})
    return ", ".join(repr(char) for char in found)


_LOWER_DIGITS_DASH = "abcdefghijklmnopqrstuvwxyz0123456789-"


def _slug(value: str) -> str:
    if not 2 <= len(value) <= SLUG_MAX_LENGTH:
        if len(value) < 2:
            raise fixable(
                f"is {counted(len(value), 'character')} long, fewer than 2",
                f"lengthen it to 2 to {SLUG_MAX_LENGTH} characters",
            )
        raise fixable(
            f"is {len(value)} characters long, {SLUG_MAX_LENGTH} characters at most",
            f"shorten it to 2 to {SLUG_MAX_LENGTH} characters",
        )
    if outside := _characters_outside(value, _LOWER_DIGITS_DASH):
        raise fixable(f"contains {outside}", "use only lower-case letters a-z, digits and dashes")
    if value[0] == "-" or value[-1] == "-":
        raise fixable("starts or ends with a dash", "start and end it with a letter or a digit")
    return value


Slug = Annotated[str, AfterValidator(_slug)]
"""Lower-case letters, digits and dashes: safe in resource names, aliases and URLs."""

_CLAIM_NAME_MAX_LENGTH = 64
_LETTERS_DIGITS_UNDERSCORE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"


def _claim_name(value: str) -> str:
    if not 1 <= len(value) <= _CLAIM_NAME_MAX_LENGTH:
        length = counted(len(value), "character")
        raise fixable(f"is {length} long", f"use 1 to {_CLAIM_NAME_MAX_LENGTH} characters")
    if outside := _characters_outside(value, _LETTERS_DIGITS_UNDERSCORE):
        raise fixable(f"contains {outside}", "use only letters, digits and underscores, e.g. groups")
    if value[0].isdigit():
        raise fixable("starts with a digit", "start it with a letter or an underscore")
    return value


ClaimName = Annotated[str, AfterValidator(_claim_name)]
"""A token claim name: letters, digits and underscores, not starting with a digit."""

_VISIBLE_ASCII = "".join(chr(code) for code in range(0x21, 0x7F))


def _visible_ascii_claim_name(value: str) -> str:
    if outside := _characters_outside(value, _VISIBLE_ASCII):
        raise fixable(
            f"contains {outside}",
            "use the name of the ID-token claim that lists the user's groups, in visible ASCII characters "
            "without spaces, e.g. groups",
        )
    return value


OidcClaimName = Annotated[
    str, StringConstraints(min_length=1, max_length=256), AfterValidator(_visible_ascii_claim_name)
]
"""A claim name as an OIDC provider may spell it (https://acme.example/groups is one top-level name)."""

_WORKOS_ORGANIZATION_ID = re.compile(r"org_[A-Za-z0-9]{10,40}")


def _workos_organization_id(value: str) -> str:
    if not _WORKOS_ORGANIZATION_ID.fullmatch(value):
        raise fixable(
            "is not a WorkOS organization ID (org_ and 10 to 40 letters and digits)",
            "copy the organization's ID from the WorkOS dashboard, e.g. org_01HZX3B7K2M9",
        )
    return value


WorkosOrganizationId = Annotated[str, AfterValidator(_workos_organization_id)]

_WORKOS_CONNECTION_ID = re.compile(r"conn_[A-Za-z0-9]{10,40}")


def _workos_connection_id(value: str) -> str:
    if not _WORKOS_CONNECTION_ID.fullmatch(value):
        raise fixable(
            "is not a WorkOS connection ID (conn_ and 10 to 40 letters and digits)",
            "copy the connection's ID from the WorkOS dashboard, e.g. conn_01HZX3B7K2M9",
        )
    return value


WorkosConnectionId = Annotated[str, AfterValidator(_workos_connection_id)]

_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]+$")


def _printable(value: str) -> str:
    if not _PRINTABLE.match(value):
        raise ValueError("must not contain control characters or newlines")
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    return value


DisplayText = Annotated[str, StringConstraints(min_length=1, max_length=256), AfterValidator(_printable)]
"""A human-readable name (group, role, display name): printable, trimmed, bounded."""


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_url(value: str, *, allow_loopback_http: bool = True) -> str:
    """An absolute https URL (http only for loopback), no credentials, no fragment."""
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ValueError("must be an absolute https:// URL")
    if parts.scheme == "http" and not (allow_loopback_http and _is_loopback(parts.hostname)):
        raise ValueError("must use https:// (plain http is allowed only for localhost)")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    if parts.fragment:
        raise ValueError("must not have a #fragment")
    if any(ch.isspace() for ch in value):
        raise ValueError("must not contain spaces")
    return value


HttpsUrl = Annotated[str, StringConstraints(max_length=2048), AfterValidator(check_url)]


_URI_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$")


def _saml_entity_id(value: str) -> str:
    # SAML 2.0 core, 8.3.6: an entity identifier is a URI of at most 1024 characters.
    if not _URI_SCHEME.match(value):
        raise ValueError("must be a URI (scheme:..., no spaces), e.g. urn:workos:sp or https://...")
    return value


SamlEntityId = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(_saml_entity_id)
]
"""A SAML entity ID (the SP's, which the IdP sends as the assertion's audience)."""


def _discovery_url(value: str) -> str:
    if not urlsplit(value).path.endswith("/.well-known/openid-configuration"):
        raise ValueError("must end in /.well-known/openid-configuration")
    return value


DiscoveryUrl = Annotated[HttpsUrl, AfterValidator(_discovery_url)]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-zA-Z0-9-]{1,63}\.)+[a-zA-Z]{2,63}$")


def _tenant(value: str) -> str:
    if not (_GUID.match(value) or _DOMAIN.match(value)):
        raise ValueError("must be the tenant's ID (a GUID) or one of its verified domains")
    return value


TenantId = Annotated[str, AfterValidator(_tenant)]

MAX_LIST_LENGTH = 500
"""Lists of groups, users or mappings: a few hundred at most per organization."""

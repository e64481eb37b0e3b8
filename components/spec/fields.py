"""Constrained field types shared by the spec models."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, StringConstraints

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$")]
"""Lower-case letters, digits and dashes: safe in resource names, aliases and URLs."""

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

BoundedList = Field(default_factory=list, max_length=500)
"""Lists of groups, users or mappings: a few hundred at most per organization."""

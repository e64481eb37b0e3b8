"""The stand-in's in-memory Okta org: users, groups and memberships, apps, group assignments,
client secrets and the per-app legacy groups claim.

The store enforces Okta's state rules (an app is deleted only when INACTIVE, at most two client
secrets per app, only an INACTIVE secret is deleted, the only ACTIVE secret stays active) and
raises `OktaError` exactly as the API answers; request parsing and JSON shapes live in the routes.
Every method takes the one lock, so the HTTP thread and a test thread can both use it.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import threading
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

from sandbox.okta import client_jwks, errors
from sandbox.okta.client_jwks import ClientJwk
from sandbox.okta.errors import OktaError, random_token

MAX_CLIENT_SECRETS = 2
SECRET_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "client_secret_jwt")
GENERATED_SECRET_LENGTH = 64
DEFAULT_ACCESSIBILITY = {"selfService": False, "errorRedirectUrl": None, "loginRedirectUrl": None}
DEFAULT_VISIBILITY = {
    "autoLaunch": False,
    "autoSubmitToolbar": False,
    "hide": {"iOS": True, "web": True},
    "appLinks": {"oidc_client_link": True},
}
DEFAULT_SETTINGS = {
    "app": {},
    "notifications": {"vpn": {"network": {"connection": "DISABLED"}, "message": None, "helpUrl": None}},
    "manualProvisioning": False,
    "implicitAssignment": False,
    "notes": {"admin": None, "enduser": None},
}
"""`settings` of a new OIDC app besides `oauthClient`, as Okta answered in 2026 recordings: what an
admin may change in the console, and what a PUT that leaves a key out puts back."""


def now_iso() -> str:
    """Okta's timestamp form: `2024-05-01T12:34:56.000Z`."""
    now = datetime.now(UTC)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


def new_id(prefix: str) -> str:
    """Okta ids are 20 characters: a 3-character type prefix (00u, 00g, 0oa, ocs) and 17 random."""
    return prefix + random_token(17)


def generate_secret() -> str:
    """A generated client secret: 64 URL-safe characters, like the ones Okta issues today."""
    return base64.urlsafe_b64encode(random_token(48).encode()).decode()[:GENERATED_SECRET_LENGTH]


@dataclass
class User:
    id: str
    login: str
    first_name: str
    last_name: str
    email: str
    created: str
    status: str = "ACTIVE"


@dataclass
class Group:
    id: str
    name: str
    description: str
    type: str
    """OKTA_GROUP (made in Okta), APP_GROUP (imported from a directory), BUILT_IN (Everyone)."""
    created: str
    last_updated: str
    last_membership_updated: str


@dataclass
class App:
    id: str
    label: str
    status: str
    created: str
    last_updated: str
    client_id: str
    token_endpoint_auth_method: str
    pkce_required: bool
    auto_key_rotation: bool
    oauth_settings: dict
    """`settings.oauthClient` as stored, snake_case keys as on the wire."""
    signing_kid: str
    profile: dict | None = None
    settings_extra: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_SETTINGS))
    """`settings` besides `oauthClient` (notes, manualProvisioning, implicitAssignment, ...)."""
    accessibility: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_ACCESSIBILITY))
    visibility: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_VISIBILITY))


@dataclass
class GroupAssignment:
    app_id: str
    group_id: str
    priority: int
    last_updated: str
    profile: dict = field(default_factory=dict)


@dataclass
class ClientSecret:
    id: str
    app_id: str
    value: str = field(repr=False)
    status: str
    created: str
    last_updated: str

    @property
    def secret_hash(self) -> str:
        digest = hashlib.sha256(self.value.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:22]


@dataclass
class GroupsClaim:
    """The legacy "Groups claim type: Filter" of an OIDC app's ID token."""

    value_type: str
    group_filter_type: str
    issuer_mode: str
    name: str
    value: str


class OktaStore:
    def __init__(self, app_quota: int | None = None) -> None:
        self.app_quota = app_quota
        """The org's app limit (None: none); a create beyond it is refused as Okta refuses it."""
        self._lock = threading.RLock()
        self._users: dict[str, User] = {}
        self._groups: dict[str, Group] = {}
        self._members: dict[str, list[str]] = {}
        self._apps: dict[str, App] = {}
        self._assignments: dict[tuple[str, str], GroupAssignment] = {}
        self._secrets: dict[str, list[ClientSecret]] = {}
        self._claims: dict[str, GroupsClaim] = {}
        self._jwks: dict[str, list[ClientJwk]] = {}

    # --- users, groups, memberships ------------------------------------------------------

    def add_user(self, login: str, first_name: str, last_name: str, email: str | None = None) -> User:
        with self._lock:
            user = User(new_id("00u"), login, first_name, last_name, email or login, now_iso())
            self._users[user.id] = user
            return copy.deepcopy(user)

    def add_group(self, name: str, description: str = "", type: str = "OKTA_GROUP") -> Group:
        with self._lock:
            stamp = now_iso()
            group = Group(new_id("00g"), name, description, type, stamp, stamp, stamp)
            self._groups[group.id] = group
            self._members[group.id] = []
            return copy.deepcopy(group)

    def add_member(self, group_id: str, user_id: str) -> None:
        with self._lock:
            self._require_group(group_id)
            self._require_user(user_id)
            if user_id not in self._members[group_id]:
                self._members[group_id].append(user_id)
                self._groups[group_id].last_membership_updated = now_iso()

    def find_user(self, id_or_login: str) -> User:
        """By id or (case-insensitive) login, as `GET /api/v1/users/{id-or-login}` resolves it."""
        with self._lock:
            if id_or_login in self._users:
                return copy.deepcopy(self._users[id_or_login])
            for user in self._users.values():
                if user.login.lower() == id_or_login.lower():
                    return copy.deepcopy(user)
            raise errors.not_found(id_or_login, "User")

    def groups(self) -> list[Group]:
        with self._lock:
            return copy.deepcopy(list(self._groups.values()))

    def get_group(self, group_id: str) -> Group:
        with self._lock:
            return copy.deepcopy(self._require_group(group_id))

    def group_members(self, group_id: str) -> list[User]:
        with self._lock:
            self._require_group(group_id)
            return copy.deepcopy([self._users[uid] for uid in self._members[group_id]])

    def user_groups(self, user_id: str) -> list[Group]:
        with self._lock:
            self._require_user(user_id)
            return copy.deepcopy([g for gid, g in self._groups.items() if user_id in self._members[gid]])

    # --- apps ----------------------------------------------------------------------------

    def create_app(
        self,
        *,
        label: str,
        client_id: str | None,
        auth_method: str,
        pkce_required: bool,
        auto_key_rotation: bool,
        oauth_settings: dict,
        client_secret: str | None,
        profile: dict | None,
        activate: bool,
        settings_extra: dict | None = None,
        accessibility: dict | None = None,
        visibility: dict | None = None,
    ) -> tuple[App, ClientSecret | None]:
        """Create an OIDC app; a confidential client gets its first secret (given or generated)."""
        with self._lock:
            if self.app_quota is not None and len(self._apps) >= self.app_quota:
                raise errors.app_quota_reached()
            stamp = now_iso()
            app_id = new_id("0oa")
            if client_id is not None and any(a.client_id == client_id for a in self._apps.values()):
                raise errors.validation_failed(
                    "client_id",
                    "client_id: An object with this field already exists in the current organization",
                )
            app = App(
                id=app_id,
                label=label,
                status="ACTIVE" if activate else "INACTIVE",
                created=stamp,
                last_updated=stamp,
                client_id=client_id or app_id,
                token_endpoint_auth_method=auth_method,
                pkce_required=pkce_required,
                auto_key_rotation=auto_key_rotation,
                oauth_settings=copy.deepcopy(oauth_settings),
                signing_kid=random_token(43),
                profile=copy.deepcopy(profile),
            )
            _set_admin_settings(app, settings_extra, accessibility, visibility)
            self._apps[app_id] = app
            self._secrets[app_id] = []
            secret = None
            if auth_method in SECRET_AUTH_METHODS:
                secret = ClientSecret(
                    new_id("ocs"), app_id, client_secret or generate_secret(), "ACTIVE", stamp, stamp
                )
                self._secrets[app_id].append(secret)
            return copy.deepcopy(app), copy.deepcopy(secret)

    def apps(self) -> list[App]:
        with self._lock:
            return copy.deepcopy(list(self._apps.values()))

    def get_app(self, app_id: str) -> App:
        with self._lock:
            return copy.deepcopy(self._require_app(app_id))

    def replace_app(
        self,
        app_id: str,
        *,
        label: str,
        auth_method: str,
        pkce_required: bool,
        auto_key_rotation: bool,
        oauth_settings: dict,
        profile: dict | None,
        settings_extra: dict | None = None,
        accessibility: dict | None = None,
        visibility: dict | None = None,
    ) -> App:
        """`PUT /api/v1/apps/{id}` replaces the whole object: what the body omits is gone (back to
        Okta's default, for what an admin sets in the console)."""
        with self._lock:
            app = self._require_app(app_id)
            if oauth_settings.get("application_type") != app.oauth_settings.get("application_type"):
                raise errors.validation_failed(
                    "settings.oauthClient.application_type",
                    "application_type: After an app is created, you can't change the application_type.",
                )
            app.label = label
            app.token_endpoint_auth_method = auth_method
            app.pkce_required = pkce_required
            app.auto_key_rotation = auto_key_rotation
            app.oauth_settings = copy.deepcopy(oauth_settings)
            app.profile = copy.deepcopy(profile)
            _set_admin_settings(app, settings_extra, accessibility, visibility)
            app.last_updated = now_iso()
            return copy.deepcopy(app)

    def set_app_status(self, app_id: str, status: str) -> App:
        with self._lock:
            app = self._require_app(app_id)
            if app.status != status:
                app.status = status
                app.last_updated = now_iso()
            return copy.deepcopy(app)

    def delete_app(self, app_id: str) -> None:
        with self._lock:
            app = self._require_app(app_id)
            if app.status != "INACTIVE":
                raise errors.delete_app_forbidden()
            del self._apps[app_id]
            self._secrets.pop(app_id, None)
            self._claims.pop(app_id, None)
            self._jwks.pop(app_id, None)
            for key in [k for k in self._assignments if k[0] == app_id]:
                del self._assignments[key]

    def active_secret_value(self, app_id: str) -> str | None:
        """The secret an app create/update answer shows in `credentials.oauthClient.client_secret`."""
        with self._lock:
            for secret in self._secrets.get(app_id, []):
                if secret.status == "ACTIVE":
                    return secret.value
            return None

    # --- app group assignments -----------------------------------------------------------

    def assign_group(
        self, app_id: str, group_id: str, priority: int | None, profile: dict | None
    ) -> GroupAssignment:
        with self._lock:
            self._require_app(app_id)
            self._require_group(group_id)
            existing = self._assignments.get((app_id, group_id))
            if priority is None:
                if existing is not None:
                    priority = existing.priority
                else:
                    used = [a.priority for k, a in self._assignments.items() if k[0] == app_id]
                    priority = max(used) + 1 if used else 0
            assignment = GroupAssignment(app_id, group_id, priority, now_iso(), copy.deepcopy(profile or {}))
            self._assignments[(app_id, group_id)] = assignment
            return copy.deepcopy(assignment)

    def app_assignments(self, app_id: str) -> list[GroupAssignment]:
        with self._lock:
            self._require_app(app_id)
            found = [a for k, a in self._assignments.items() if k[0] == app_id]
            return copy.deepcopy(sorted(found, key=lambda a: (a.priority, a.group_id)))

    def get_assignment(self, app_id: str, group_id: str) -> GroupAssignment:
        with self._lock:
            self._require_app(app_id)
            assignment = self._assignments.get((app_id, group_id))
            if assignment is None:
                raise errors.not_found(group_id, "AppGroup")
            return copy.deepcopy(assignment)

    def unassign_group(self, app_id: str, group_id: str) -> None:
        with self._lock:
            self._require_app(app_id)
            if self._assignments.pop((app_id, group_id), None) is None:
                raise errors.not_found(group_id, "AppGroup")

    # --- client secrets ------------------------------------------------------------------

    def secrets(self, app_id: str) -> list[ClientSecret]:
        with self._lock:
            self._require_app(app_id)
            return copy.deepcopy(self._secrets[app_id])

    def get_secret(self, app_id: str, secret_id: str) -> ClientSecret:
        with self._lock:
            return copy.deepcopy(self._require_secret(app_id, secret_id))

    def create_secret(self, app_id: str, value: str | None) -> ClientSecret:
        with self._lock:
            app = self._require_app(app_id)
            if app.token_endpoint_auth_method not in SECRET_AUTH_METHODS:
                raise errors.validation_failed(
                    "OAuth2ClientSecretMediated",
                    "'client_secret' cannot be used when 'token_endpoint_auth_method' is "
                    f"'{app.token_endpoint_auth_method}'.",
                )
            if len(self._secrets[app_id]) >= MAX_CLIENT_SECRETS:
                raise errors.validation_failed(
                    "OAuth2ClientSecretMediated",
                    "You have reached the maximum number of client secrets per client.",
                )
            stamp = now_iso()
            secret = ClientSecret(new_id("ocs"), app_id, value or generate_secret(), "ACTIVE", stamp, stamp)
            self._secrets[app_id].append(secret)
            app.last_updated = stamp
            return copy.deepcopy(secret)

    def activate_secret(self, app_id: str, secret_id: str) -> ClientSecret:
        with self._lock:
            secret = self._require_secret(app_id, secret_id)
            if secret.status != "ACTIVE":
                secret.status = "ACTIVE"
                secret.last_updated = now_iso()
            return copy.deepcopy(secret)

    def deactivate_secret(self, app_id: str, secret_id: str) -> ClientSecret:
        with self._lock:
            secret = self._require_secret(app_id, secret_id)
            if secret.status == "INACTIVE":
                raise errors.validation_failed(
                    "OAuth2ClientSecretMediated", "The client secret is already inactive."
                )
            active = [s for s in self._secrets[app_id] if s.status == "ACTIVE"]
            if len(active) == 1:
                raise errors.validation_failed(
                    "OAuth2ClientSecretMediated", "You can't deactivate the only active client secret."
                )
            secret.status = "INACTIVE"
            secret.last_updated = now_iso()
            return copy.deepcopy(secret)

    def delete_secret(self, app_id: str, secret_id: str) -> None:
        with self._lock:
            secret = self._require_secret(app_id, secret_id)
            if secret.status == "ACTIVE":
                raise errors.validation_failed(
                    "OAuth2ClientSecretMediated",
                    "You can't delete an active client secret. Deactivate the secret before deleting it.",
                )
            self._secrets[app_id].remove(secret)

    # --- client JSON Web Keys (private_key_jwt) -------------------------------------------

    def jwks(self, app_id: str) -> list[ClientJwk]:
        with self._lock:
            self._require_app(app_id)
            return copy.deepcopy(self._jwks.get(app_id, []))

    def add_jwk(self, app_id: str, fields: dict) -> ClientJwk:
        """Add a key checked by `client_jwks.parsed_jwk`."""
        with self._lock:
            self._require_app(app_id)
            keys = self._jwks.setdefault(app_id, [])
            client_jwks.check_addable(keys, fields["kid"])
            stamp = now_iso()
            key = ClientJwk(new_id("pks"), app_id, created=stamp, last_updated=stamp, **fields)
            keys.append(key)
            return copy.deepcopy(key)

    def get_jwk(self, app_id: str, key_id: str) -> ClientJwk:
        with self._lock:
            return copy.deepcopy(self._require_jwk(app_id, key_id))

    def set_jwk_status(self, app_id: str, key_id: str, status: str) -> ClientJwk:
        with self._lock:
            key = self._require_jwk(app_id, key_id)
            if status == "INACTIVE":
                auth_method = self._apps[app_id].token_endpoint_auth_method
                client_jwks.check_deactivatable(self._jwks[app_id], key, auth_method)
            if key.status != status:
                key.status = status
                key.last_updated = now_iso()
            return copy.deepcopy(key)

    def delete_jwk(self, app_id: str, key_id: str) -> None:
        with self._lock:
            key = self._require_jwk(app_id, key_id)
            client_jwks.check_deletable(key)
            self._jwks[app_id].remove(key)

    # --- legacy groups claim -------------------------------------------------------------

    def groups_claim(self, app_id: str) -> GroupsClaim | None:
        with self._lock:
            self._require_app(app_id)
            return copy.deepcopy(self._claims.get(app_id))

    def set_groups_claim(self, app_id: str, claim: GroupsClaim) -> GroupsClaim:
        with self._lock:
            self._require_app(app_id)
            self._claims[app_id] = copy.deepcopy(claim)
            return copy.deepcopy(claim)

    # --- test support --------------------------------------------------------------------

    def snapshot(self) -> dict:
        """Everything in the org as plain data, so a test can assert "exactly as seeded"."""
        with self._lock:
            return {
                "users": sorted((asdict(u) for u in self._users.values()), key=lambda u: u["id"]),
                "groups": sorted((asdict(g) for g in self._groups.values()), key=lambda g: g["id"]),
                "memberships": {gid: sorted(uids) for gid, uids in sorted(self._members.items())},
                "apps": sorted((asdict(a) for a in self._apps.values()), key=lambda a: a["id"]),
                "assignments": sorted(
                    (asdict(a) for a in self._assignments.values()),
                    key=lambda a: (a["app_id"], a["group_id"]),
                ),
                "secrets": {
                    app_id: [{**asdict(s), "value": s.secret_hash} for s in found]
                    for app_id, found in sorted(self._secrets.items())
                    if found
                },
                "claims": {app_id: asdict(c) for app_id, c in sorted(self._claims.items())},
                "jwks": {
                    app_id: [asdict(k) for k in keys] for app_id, keys in sorted(self._jwks.items()) if keys
                },
            }

    # --- lookups (lock held) -------------------------------------------------------------

    def _require_user(self, user_id: str) -> User:
        if user_id not in self._users:
            raise errors.not_found(user_id, "User")
        return self._users[user_id]

    def _require_group(self, group_id: str) -> Group:
        if group_id not in self._groups:
            raise errors.not_found(group_id, "UserGroup")
        return self._groups[group_id]

    def _require_app(self, app_id: str) -> App:
        if app_id not in self._apps:
            raise errors.not_found(app_id, "AppInstance")
        return self._apps[app_id]

    def _require_secret(self, app_id: str, secret_id: str) -> ClientSecret:
        self._require_app(app_id)
        for secret in self._secrets[app_id]:
            if secret.id == secret_id:
                return secret
        raise errors.not_found(secret_id, "OAuth2ClientSecretMediated")

    def _require_jwk(self, app_id: str, key_id: str) -> ClientJwk:
        self._require_app(app_id)
        for key in self._jwks.get(app_id, []):
            if key.id == key_id:
                return key
        raise errors.not_found(key_id, client_jwks.SUBJECT)


def _set_admin_settings(
    app: App, settings_extra: dict | None, accessibility: dict | None, visibility: dict | None
) -> None:
    """Okta's defaults overlaid with what the request body sent."""
    app.settings_extra = _overlaid(DEFAULT_SETTINGS, settings_extra)
    app.accessibility = _overlaid(DEFAULT_ACCESSIBILITY, accessibility)
    app.visibility = _overlaid(DEFAULT_VISIBILITY, visibility)


def _overlaid(default: dict, given: dict | None) -> dict:
    merged = copy.deepcopy(default)
    for key, value in (given or {}).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overlaid(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


__all__ = ["App", "ClientSecret", "Group", "GroupAssignment", "GroupsClaim", "OktaError", "OktaStore", "User"]

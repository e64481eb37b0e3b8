"""The in-memory tenant behind the Graph stand-in: thread-safe, JSON-shaped, replication-aware.

Objects are kept in Graph's own JSON shape and copied on every way in and out, so a caller can
never mutate the tenant by accident.

Replication: Graph's directory is replicated, and a new object takes a while to reach every
replica. One setting, `replication_lag_seconds` (L), gives each new application, service
principal, app role assignment and password credential the answers clients of the real service
get right after creating one (terraform-provider-azuread retries exactly these):

- for the first L/2 seconds the object is unknown to requests that address it: GET by id or by
  appId, PATCH, DELETE, addPassword/removePassword, `appRoleAssignedTo` of a new service principal
  answer 404 Request_ResourceNotFound, and lists and `$filter` leave it out;
- for the whole L seconds it is not yet a valid reference: a service principal for a new
  application answers 400 "The appId '...' of the service principal does not reference a valid
  application object." (detail code NoBackingApplicationObject), and an assignment whose
  resourceId or principalId is a new object answers 400 "Not a valid reference update.";
- a new password credential is missing from every read of its application for L seconds (only
  the addPassword answer carries it);
- a new delegated permission grant is unknown by id, and left out of lists, for the first L/2
  seconds, and a grant whose client service principal is still unknown answers 404.

So an assignment made right after its service principal meets 404, then 400, then 201. The test
helpers at the end of the class (`snapshot`, `find_application`, ...) see every object at once.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

from sandbox.graph import resources
from sandbox.graph.key_credentials import (
    service_principal_key_credentials,
    verifying_certificates,
    without_keys,
)
from sandbox.graph.odata import GraphError, graph_datetime, invalid_value, not_found, parse_datetime, utcnow
from sandbox.graph.seed import MICROSOFT_GRAPH_APP_ID, MICROSOFT_GRAPH_SCOPES, TenantSeed, seeded_id
from sandbox.graph.token_signing import TokenSigningCertificate, new_token_signing_certificate
from sandbox.graph.validation import application_changes, grant_fields, is_guid, password_credential

DEFAULT_APP_ROLE_ID = "00000000-0000-0000-0000-000000000000"
NON_GALLERY_TEMPLATE_ID = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
"""The application template the admin center instantiates for "Create your own application"."""
NON_GALLERY_TAGS = [
    "WindowsAzureActiveDirectoryCustomSingleSignOnApplication",
    "WindowsAzureActiveDirectoryIntegratedApp",
]
_SECRET_ALPHABET = string.ascii_letters + string.digits + "~._-"
_COMPLEX_DEFAULTS = {
    name: value
    for name, value in resources.application_resource("", "", utcnow(), "").items()
    if isinstance(value, dict)
}
"""A new application's complex properties (web, api, info, ...), as PATCH resets what it omits."""


class GraphTenant:
    """Users, groups, applications, service principals and app role assignments of one tenant."""

    def __init__(self, seed: TenantSeed, *, replication_lag_seconds: float = 0.0) -> None:
        self.tenant_id = seed.tenant_id
        self.domain = seed.domain
        self.read_only_tokens: set[str] = set(seed.read_only_tokens)
        self.replication_lag_seconds = replication_lag_seconds
        """How long a new object takes to reach every replica (see the module docstring); 0: at once."""
        self.clock: Callable[[], float] = time.monotonic
        """Seconds on a monotonic clock; tests may swap in their own to step through the lag."""
        self._lock = threading.RLock()
        self._users: dict[str, dict[str, Any]] = {}
        self._groups: dict[str, dict[str, Any]] = {}
        self._members: dict[str, list[str]] = {}
        self._applications: dict[str, dict[str, Any]] = {}
        self._service_principals: dict[str, dict[str, Any]] = {}
        self._assignments: dict[str, dict[str, Any]] = {}
        self._grants: dict[str, dict[str, Any]] = {}
        """oAuth2PermissionGrant id -> grant: delegated permissions consented for a client."""
        self.user_consent_allowed = seed.user_consent_allowed
        """False for a tenant whose admins turned off user consent (authorizationPolicy's
        permissionGrantPoliciesAssigned empty): a sign-in then needs a grant for every scope asked."""
        self._created_at: dict[str, float] = {}
        """Object id or password keyId -> `clock()` at creation, for the replication lag."""
        self._secret_hashes: dict[str, str] = {}
        """keyId -> SHA-256 of the secret: enough for the sign-in side to check a client secret."""
        self._token_signing: dict[str, list[TokenSigningCertificate]] = {}
        """Service principal id -> its SAML token-signing certificates, private keys included."""
        self._load(seed)

    def _load(self, seed: TenantSeed) -> None:
        created = utcnow()
        for user in seed.users:
            self._users[user.id] = resources.user_resource(user, seed.domain)
        for group in seed.groups:
            self._groups[group.id] = resources.group_resource(group, created)
        for group in seed.groups:
            members = []
            for member in group.members:
                if member.startswith("group:"):
                    members.append(seed.group(member.removeprefix("group:")).id)
                else:
                    members.append(seed.user(member).id)
            self._members[group.id] = members
        graph_sp_id = seeded_id("servicePrincipal", MICROSOFT_GRAPH_APP_ID)
        self._service_principals[graph_sp_id] = resources.microsoft_graph_service_principal(
            graph_sp_id, self.tenant_id, MICROSOFT_GRAPH_SCOPES
        )

    # -- replication ------------------------------------------------------------------------

    def _replicating(self, key: str, share: float) -> bool:
        """True while `share` of the lag has not yet passed since `key` was created."""
        created = self._created_at.get(key)
        return created is not None and self.clock() - created < self.replication_lag_seconds * share

    def _unseen(self, object_id: str) -> bool:
        """True while a new object is unknown to requests that address it (the first half of the lag)."""
        return self._replicating(object_id, 0.5)

    def _unreferenceable(self, object_id: str) -> bool:
        """True while a new object is not yet a valid reference (the whole lag)."""
        return self._replicating(object_id, 1.0)

    def _replica_view(self, application: dict[str, Any], *, with_keys: bool = False) -> dict[str, Any]:
        """A copy of `application` as reads see it: without passwords still replicating, and its
        certificates' `key` null unless the read selected them (`with_keys`)."""
        view = copy.deepcopy(application)
        view["passwordCredentials"] = [
            c for c in view["passwordCredentials"] if not self._replicating(c["keyId"], 1.0)
        ]
        if not with_keys:
            view["keyCredentials"] = without_keys(view["keyCredentials"])
        return view

    def _created(self, key: str) -> None:
        self._created_at[key] = self.clock()

    # -- users and groups -------------------------------------------------------------------

    def list_users(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._users.values()))

    def get_user(self, id_or_upn: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._find_user(id_or_upn))

    def _find_user(self, id_or_upn: str) -> dict[str, Any]:
        if id_or_upn in self._users:
            return self._users[id_or_upn]
        wanted = id_or_upn.lower()
        for user in self._users.values():
            if user["userPrincipalName"].lower() == wanted or user["id"] == wanted:
                return user
        raise not_found(id_or_upn)

    def list_groups(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy(list(self._groups.values()))

    def get_group(self, group_id: str) -> dict[str, Any]:
        with self._lock:
            if group_id.lower() not in self._groups:
                raise not_found(group_id)
            return copy.deepcopy(self._groups[group_id.lower()])

    def group_members(self, group_id: str) -> list[dict[str, Any]]:
        """Direct members with `@odata.type`, as `/groups/{id}/members` lists them."""
        with self._lock:
            if group_id.lower() not in self._groups:
                raise not_found(group_id)
            return [self._typed(member) for member in self._members.get(group_id.lower(), [])]

    def member_of(self, id_or_upn: str) -> list[dict[str, Any]]:
        """Groups a user is a direct member of, as `/users/{id}/memberOf` lists them."""
        with self._lock:
            user_id = self._find_user(id_or_upn)["id"]
            return [
                self._typed(group_id) for group_id, members in self._members.items() if user_id in members
            ]

    def transitive_member_of(self, id_or_upn: str) -> list[dict[str, Any]]:
        """Groups a user is in, directly or through nested groups, as `/users/{id}/transitiveMemberOf`."""
        with self._lock:
            user_id = self._find_user(id_or_upn)["id"]
            return [self._typed(group_id) for group_id in sorted(self.transitive_group_ids(user_id))]

    def _typed(self, object_id: str) -> dict[str, Any]:
        principal, kind = self._principal(object_id)
        return {"@odata.type": f"#microsoft.graph.{kind[0].lower()}{kind[1:]}", **copy.deepcopy(principal)}

    def _principal(self, object_id: str) -> tuple[dict[str, Any], str]:
        """A user, group or service principal by id, with Graph's principalType for it."""
        key = object_id.lower()
        if key in self._users:
            return self._users[key], "User"
        if key in self._groups:
            return self._groups[key], "Group"
        if key in self._service_principals:
            return self._service_principals[key], "ServicePrincipal"
        raise not_found(object_id)

    # -- applications -----------------------------------------------------------------------

    def create_application(self, changes: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            unique_name = changes.get("uniqueName")
            if unique_name and any(
                (app.get("uniqueName") or "").lower() == unique_name.lower()
                for app in self._applications.values()
            ):
                raise GraphError(
                    400,
                    "Request_BadRequest",
                    "Another object with the same value for property uniqueName already exists.",
                )
            object_id, app_id = str(uuid.uuid4()), str(uuid.uuid4())
            application = resources.application_resource(object_id, app_id, utcnow(), self.domain)
            apply_patch(application, changes)
            self._applications[object_id] = application
            self._created(object_id)
            return copy.deepcopy(application)

    def list_applications(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                self._replica_view(app)
                for app_id, app in self._applications.items()
                if not self._unseen(app_id)
            ]

    def get_application(self, object_id: str, *, with_keys: bool = False) -> dict[str, Any]:
        with self._lock:
            return self._replica_view(self._addressed_application(object_id), with_keys=with_keys)

    def get_application_by_app_id(self, app_id: str, *, with_keys: bool = False) -> dict[str, Any]:
        with self._lock:
            application = self._addressed_application(self.application_object_id(app_id))
            return self._replica_view(application, with_keys=with_keys)

    def application_object_id(self, app_id: str) -> str:
        """The object id of the application with `app_id`, once replicated."""
        with self._lock:
            application = self._application_by_app_id(app_id)
            if application is None or self._unseen(application["id"]):
                raise not_found(app_id)
            return application["id"]

    def _application_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        return next((a for a in self._applications.values() if a["appId"] == app_id.lower()), None)

    def _addressed_application(self, object_id: str) -> dict[str, Any]:
        """The application a request addresses by id: 404 while it is unknown to the replicas."""
        application = self._applications.get(object_id.lower())
        if application is None or self._unseen(application["id"]):
            raise not_found(object_id)
        return application

    def update_application(self, object_id: str, changes: dict[str, Any]) -> None:
        with self._lock:
            application = self._addressed_application(object_id)
            if "appRoles" in changes:
                _check_enabled_roles_kept(application["appRoles"], changes["appRoles"])
            apply_patch(application, changes)
            service_principal = self._service_principal_by_app_id(application["appId"])
            if service_principal is not None and "appRoles" in changes:
                service_principal["appRoles"] = copy.deepcopy(application["appRoles"])
            if service_principal is not None and "displayName" in changes:
                service_principal["displayName"] = service_principal["appDisplayName"] = changes[
                    "displayName"
                ]
            if service_principal is not None and "web" in changes:
                service_principal["replyUrls"] = list(application["web"]["redirectUris"])

    def delete_application(self, object_id: str) -> None:
        """Delete an application; its service principal in this tenant goes with it."""
        with self._lock:
            application = self._addressed_application(object_id)
            del self._applications[application["id"]]
            self._created_at.pop(application["id"], None)
            for credential in application["passwordCredentials"]:
                self._created_at.pop(credential["keyId"], None)
            service_principal = self._service_principal_by_app_id(application["appId"])
            if service_principal is not None:
                self._delete_service_principal(service_principal["id"])

    def add_password(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Add a client secret; the only answer that ever carries `secretText`."""
        with self._lock:
            return self._added_password(self._addressed_application(object_id), body)

    def add_service_principal_password(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """addPassword on a service principal: as on an application."""
        with self._lock:
            return self._added_password(self._addressed_service_principal(object_id), body)

    def _added_password(self, owner: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        credential = password_credential(body)
        secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(40))
        stored = {
            "customKeyIdentifier": None,
            "displayName": credential["displayName"],
            "endDateTime": graph_datetime(credential["endDateTime"]),
            "hint": secret[:3],
            "keyId": str(uuid.uuid4()),
            "secretText": None,
            "startDateTime": graph_datetime(credential["startDateTime"]),
        }
        owner["passwordCredentials"].append(stored)
        self._secret_hashes[stored["keyId"]] = _sha256(secret)
        self._created(stored["keyId"])
        return {**stored, "secretText": secret}

    def remove_password(self, object_id: str, key_id: str) -> None:
        with self._lock:
            application = self._addressed_application(object_id)
            application["passwordCredentials"] = _without_password(application["passwordCredentials"], key_id)
            self._created_at.pop(str(key_id).lower(), None)

    # -- non-gallery applications (applicationTemplates/{id}/instantiate) --------------------

    def instantiate_template(self, template_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """An application and its service principal made from a template, as one
        `applicationServicePrincipal`; only the non-gallery template is known here."""
        if template_id.lower() != NON_GALLERY_TEMPLATE_ID:
            raise not_found(template_id)
        unknown = sorted(set(body) - {"displayName", "serviceManagementReference", "@odata.type"})
        if unknown:
            raise GraphError(400, "Request_BadRequest", f"Invalid property '{unknown[0]}'.")
        changes = application_changes(
            {"displayName": body.get("displayName")}, creating=True, find_resource=lambda _: None
        )
        with self._lock:
            application = self.create_application({**changes, "applicationTemplateId": template_id.lower()})
            object_id = str(uuid.uuid4())
            service_principal = resources.service_principal_resource(
                object_id, application, self.tenant_id, assignment_required=True
            )
            service_principal["applicationTemplateId"] = template_id.lower()
            service_principal["tags"] = list(NON_GALLERY_TAGS)
            self._service_principals[object_id] = service_principal
            self._created(object_id)
            return {"application": application, "servicePrincipal": copy.deepcopy(service_principal)}

    # -- service principals -----------------------------------------------------------------

    def create_service_principal(self, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            app_id = body.get("appId")
            application = self._application_by_app_id(app_id) if isinstance(app_id, str) else None
            if application is None or self._unreferenceable(application["id"]):
                message = (
                    f"The appId '{app_id}' of the service principal does not reference a valid "
                    "application object."
                )
                detail = {"code": "NoBackingApplicationObject", "message": message, "target": "appId"}
                raise GraphError(400, "Request_BadRequest", message, details=[detail])
            if self._service_principal_by_app_id(application["appId"]) is not None:
                raise GraphError(
                    409,
                    "Request_MultipleObjectsWithSameKeyValue",
                    "Another object with the same value for property servicePrincipalNames already exists.",
                )
            required = body.get("appRoleAssignmentRequired", False)
            if not isinstance(required, bool):
                raise GraphError(
                    400,
                    "Request_BadRequest",
                    "Invalid value specified for property 'appRoleAssignmentRequired' of resource "
                    "'ServicePrincipal'.",
                )
            object_id = str(uuid.uuid4())
            service_principal = resources.service_principal_resource(
                object_id, application, self.tenant_id, required
            )
            apply_patch(service_principal, _service_principal_changes(body, current=[], creating=True))
            self._service_principals[object_id] = service_principal
            self._created(object_id)
            return copy.deepcopy(service_principal)

    def list_service_principals(self) -> list[dict[str, Any]]:
        with self._lock:
            return [_sp_view(sp) for sp_id, sp in self._service_principals.items() if not self._unseen(sp_id)]

    def get_service_principal(self, object_id: str, *, with_keys: bool = False) -> dict[str, Any]:
        """As a read shows it: certificates' `key` only to one that `$select`s keyCredentials."""
        with self._lock:
            return _sp_view(self._addressed_service_principal(object_id), with_keys=with_keys)

    def get_service_principal_by_app_id(self, app_id: str, *, with_keys: bool = False) -> dict[str, Any]:
        with self._lock:
            service_principal = self._service_principal_by_app_id(app_id)
            if service_principal is None or self._unseen(service_principal["id"]):
                raise not_found(app_id)
            return _sp_view(service_principal, with_keys=with_keys)

    def _service_principal_by_app_id(self, app_id: str) -> dict[str, Any] | None:
        return next((sp for sp in self._service_principals.values() if sp["appId"] == app_id.lower()), None)

    def _addressed_service_principal(self, object_id: str) -> dict[str, Any]:
        """The service principal a request addresses by id: 404 while it is unknown to the replicas."""
        service_principal = self._service_principals.get(object_id.lower())
        if service_principal is None or self._unseen(service_principal["id"]):
            raise not_found(object_id)
        return service_principal

    def update_service_principal(self, object_id: str, body: dict[str, Any]) -> None:
        with self._lock:
            service_principal = self._addressed_service_principal(object_id)
            changes = _service_principal_changes(body, current=service_principal["keyCredentials"])
            if "keyCredentials" in changes:
                self._drop_signing_keys(service_principal, changes)
            apply_patch(service_principal, changes)

    def _drop_signing_keys(self, service_principal: dict[str, Any], changes: dict[str, Any]) -> None:
        """Forget the token-signing certificates whose `Sign` key a keyCredentials PATCH leaves out,
        with their PFX passwords. Dropping the key that preferredTokenSigningKeyThumbprint names
        (after the PATCH) is refused: Graph's docs are silent, and a service principal left unable
        to sign its SAML tokens is what the strictest reading forbids."""
        kept = {credential["keyId"] for credential in changes["keyCredentials"]}
        certificates = self._token_signing.get(service_principal["id"], [])
        dropped = [c for c in certificates if _sign_key_id(c) not in kept]
        preferred = changes.get(
            "preferredTokenSigningKeyThumbprint", service_principal["preferredTokenSigningKeyThumbprint"]
        )
        if any(c.thumbprint == (preferred or "").upper() for c in dropped):
            raise GraphError(
                400,
                "Request_BadRequest",
                f"The signing key of certificate {preferred} is the preferred token signing key; "
                "prefer another certificate before removing it.",
            )
        dropped_ids = {_sign_key_id(c) for c in dropped}
        self._token_signing[service_principal["id"]] = [c for c in certificates if c not in dropped]
        service_principal["passwordCredentials"] = [
            p for p in service_principal["passwordCredentials"] if p["keyId"] not in dropped_ids
        ]

    def remove_service_principal_password(self, object_id: str, key_id: str) -> None:
        """removePassword on a service principal. The password of a signing key it still has (the
        PFX password addTokenSigningCertificate stored) is refused: Graph answers that with a 500
        and points to removeKey; remove the key from keyCredentials instead."""
        with self._lock:
            service_principal = self._addressed_service_principal(object_id)
            wanted = str(key_id).lower()
            if any(
                c["keyId"] == wanted and c["usage"] == "Sign" for c in service_principal["keyCredentials"]
            ):
                raise GraphError(
                    400,
                    "Request_BadRequest",
                    f"Password credential '{key_id}' belongs to a signing key; remove the key from "
                    "keyCredentials instead.",
                )
            service_principal["passwordCredentials"] = _without_password(
                service_principal["passwordCredentials"], key_id
            )
            self._created_at.pop(wanted, None)

    def delete_service_principal(self, object_id: str) -> None:
        with self._lock:
            self._delete_service_principal(self._addressed_service_principal(object_id)["id"])

    def add_token_signing_certificate(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """A new SAML token-signing certificate; it signs only once preferred (the thumbprint)."""
        with self._lock:
            service_principal = self._addressed_service_principal(object_id)
            certificate = new_token_signing_certificate(body)
            service_principal["keyCredentials"].extend(copy.deepcopy(certificate.key_credentials))
            service_principal["passwordCredentials"].append(copy.deepcopy(certificate.password_credential))
            self._token_signing.setdefault(service_principal["id"], []).append(certificate)
            return copy.deepcopy(certificate.answer)

    def _delete_service_principal(self, object_id: str) -> None:
        """Graph deletes a service principal with its assignments and the grants naming it."""
        del self._service_principals[object_id]
        self._token_signing.pop(object_id, None)
        self._created_at.pop(object_id, None)
        for grant_id, grant in list(self._grants.items()):
            if object_id in (grant["clientId"], grant["resourceId"]):
                del self._grants[grant_id]
                self._created_at.pop(grant_id, None)
        for assignment_id, assignment in list(self._assignments.items()):
            if object_id in (assignment["resourceId"], assignment["principalId"]):
                del self._assignments[assignment_id]
                self._created_at.pop(assignment_id, None)

    # -- app role assignments ---------------------------------------------------------------

    def list_assignments(self, resource_id: str) -> list[dict[str, Any]]:
        with self._lock:
            self._addressed_service_principal(resource_id)
            return copy.deepcopy(
                [
                    a
                    for a in self._assignments.values()
                    if a["resourceId"] == resource_id.lower() and not self._unseen(a["id"])
                ]
            )

    def get_assignment(self, resource_id: str, assignment_id: str) -> dict[str, Any]:
        with self._lock:
            for assignment in self.list_assignments(resource_id):
                if assignment["id"] == assignment_id:
                    return assignment
            raise not_found(assignment_id)

    def create_assignment(self, resource_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            resource = self._addressed_service_principal(resource_id)
            for prop in ("principalId", "resourceId", "appRoleId"):
                if not is_guid(body.get(prop)):
                    raise GraphError(
                        400,
                        "Request_BadRequest",
                        f"Invalid value specified for property '{prop}' of resource 'AppRoleAssignment'.",
                    )
            if body["resourceId"].lower() != resource["id"]:
                raise GraphError(
                    400,
                    "Request_BadRequest",
                    "Invalid value specified for property 'resourceId' of resource 'AppRoleAssignment'.",
                )
            principal, principal_type = self._principal(body["principalId"])
            if self._unreferenceable(resource["id"]) or self._unreferenceable(principal["id"]):
                raise GraphError(400, "Request_BadRequest", "Not a valid reference update.")
            app_role_id = body["appRoleId"].lower()
            roles = {role["id"] for role in resource.get("appRoles", []) if role.get("isEnabled", True)}
            if app_role_id != DEFAULT_APP_ROLE_ID and app_role_id not in roles:
                raise GraphError(
                    400,
                    "Request_BadRequest",
                    f"Permission being assigned was not found on application '{resource['appId']}'.",
                )
            for existing in self._assignments.values():
                if (existing["resourceId"], existing["principalId"], existing["appRoleId"]) == (
                    resource["id"],
                    principal["id"],
                    app_role_id,
                ):
                    raise GraphError(
                        400, "Request_BadRequest", "Permission being assigned already exists on the object"
                    )
            assignment = resources.app_role_assignment_resource(
                principal, principal_type, resource, app_role_id, utcnow()
            )
            self._assignments[assignment["id"]] = assignment
            self._created(assignment["id"])
            return copy.deepcopy(assignment)

    def delete_assignment(self, resource_id: str, assignment_id: str) -> None:
        with self._lock:
            self._addressed_service_principal(resource_id)
            assignment = self._assignments.get(assignment_id)
            if (
                assignment is None
                or assignment["resourceId"] != resource_id.lower()
                or self._unseen(assignment_id)
            ):
                raise not_found(assignment_id)
            del self._assignments[assignment_id]
            self._created_at.pop(assignment_id, None)

    # -- delegated permission grants (oauth2PermissionGrants) -------------------------------

    def list_grants(self) -> list[dict[str, Any]]:
        with self._lock:
            return copy.deepcopy([g for g_id, g in self._grants.items() if not self._unseen(g_id)])

    def get_grant(self, grant_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self._addressed_grant(grant_id))

    def _addressed_grant(self, grant_id: str) -> dict[str, Any]:
        grant = self._grants.get(grant_id)
        if grant is None or self._unseen(grant_id):
            raise not_found(grant_id)
        return grant

    def create_grant(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /oauth2PermissionGrants: one grant per client, resource and consent scope."""
        with self._lock:
            grant = grant_fields(body)
            for prop in ("clientId", "resourceId"):
                self._addressed_service_principal(grant[prop])
            if grant["consentType"] == "Principal":
                self._find_user(grant["principalId"])
            for existing in self._grants.values():
                if all(
                    existing[k] == grant[k] for k in ("clientId", "resourceId", "consentType", "principalId")
                ):
                    raise GraphError(
                        409, "Request_MultipleObjectsWithSameKeyValue", "Permission entry already exists."
                    )
            grant["id"] = resources.grant_id(grant["clientId"], grant["resourceId"], grant["principalId"])
            self._grants[grant["id"]] = grant
            self._created(grant["id"])
            return copy.deepcopy(grant)

    def update_grant(self, grant_id: str, body: dict[str, Any]) -> None:
        """PATCH: only `scope` may change."""
        with self._lock:
            grant = self._addressed_grant(grant_id)
            for name, value in body.items():
                if name == "@odata.type":
                    continue
                if name != "scope":
                    raise GraphError(
                        400, "Request_BadRequest", f"Property '{name}' is read-only and cannot be set."
                    )
                if not isinstance(value, str):
                    raise invalid_value("scope", "OAuth2PermissionGrant")
                grant["scope"] = value

    def delete_grant(self, grant_id: str) -> None:
        with self._lock:
            self._addressed_grant(grant_id)
            del self._grants[grant_id]
            self._created_at.pop(grant_id, None)

    def granted_scopes(self, client_id: str, resource_id: str, user_id: str) -> set[str]:
        """The scopes consented for `user_id` (tenant-wide or for that user alone)."""
        with self._lock:
            return {
                scope
                for grant in self._grants.values()
                if (grant["clientId"], grant["resourceId"]) == (client_id, resource_id)
                and (grant["consentType"] == "AllPrincipals" or grant["principalId"] == user_id)
                for scope in grant["scope"].split()
            }

    # -- sign-in side ------------------------------------------------------------------------

    def verify_client_secret(self, app_id: str, secret: str) -> bool:
        """True if `secret` is one of the app's current, unexpired client secrets."""
        with self._lock:
            application = self._application_by_app_id(app_id)
            if application is None:
                return False
            now = utcnow()
            return any(
                self._secret_hashes.get(credential["keyId"]) == _sha256(secret)
                and parse_datetime(credential["endDateTime"], "endDateTime", "passwordCredential") > now
                for credential in application["passwordCredentials"]
            )

    def assertion_certificates(self, app_id: str) -> list[bytes]:
        """The DER of each certificate the app accepts client assertions signed with, now."""
        with self._lock:
            application = self._application_by_app_id(app_id)
            return [] if application is None else verifying_certificates(application["keyCredentials"])

    def sign_in_view(self, app_id: str) -> tuple[dict[str, Any], dict[str, Any] | None, list[dict[str, Any]]]:
        """The application, its service principal (or None) and that principal's assignments."""
        with self._lock:
            application = self._application_by_app_id(app_id)
            if application is None:
                raise not_found(app_id)
            principal = self._service_principal_by_app_id(app_id)
            assignments = (
                [a for a in self._assignments.values() if a["resourceId"] == principal["id"]]
                if principal is not None
                else []
            )
            return copy.deepcopy((application, principal, assignments))

    def saml_app_id(self, identifier: str) -> str | None:
        """The appId of the SAML application whose identifierUris hold `identifier`, or None."""
        with self._lock:
            for application in self._applications.values():
                principal = self._service_principal_by_app_id(application["appId"])
                if (
                    principal is not None
                    and principal["preferredSingleSignOnMode"] == "saml"
                    and identifier in application["identifierUris"]
                ):
                    return application["appId"]
            return None

    def token_signing_certificate(self, app_id: str) -> TokenSigningCertificate | None:
        """The certificate the app's SAML tokens are signed with: the one its service principal's
        preferredTokenSigningKeyThumbprint names; None when that names none."""
        with self._lock:
            principal = self._service_principal_by_app_id(app_id)
            if principal is None:
                return None
            wanted = (principal.get("preferredTokenSigningKeyThumbprint") or "").upper()
            return next(
                (c for c in self._token_signing.get(principal["id"], []) if c.thumbprint == wanted), None
            )

    def transitive_group_ids(self, user_id: str) -> set[str]:
        """Every group the user is in, directly or through nested groups."""
        with self._lock:
            found: set[str] = set()
            frontier = {user_id.lower()}
            while frontier:
                parents = {
                    group_id
                    for group_id, members in self._members.items()
                    if frontier & set(members) and group_id not in found
                }
                found |= parents
                frontier = parents
            return found

    # -- test support -----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Everything in the tenant, comparable with `==`: "is the tenant exactly as seeded?"."""
        with self._lock:
            return copy.deepcopy(
                {
                    "users": self._users,
                    "groups": self._groups,
                    "members": self._members,
                    "applications": self._applications,
                    "servicePrincipals": self._service_principals,
                    "appRoleAssignments": self._assignments,
                    "oauth2PermissionGrants": self._grants,
                }
            )

    def stored_applications(self) -> list[dict[str, Any]]:
        """Test helper: every application as stored, ignoring replication lag."""
        with self._lock:
            return copy.deepcopy(list(self._applications.values()))

    def stored_application(self, object_id: str) -> dict[str, Any]:
        """Test helper: one application as stored (every password included), ignoring replication lag."""
        with self._lock:
            if object_id.lower() not in self._applications:
                raise not_found(object_id)
            return copy.deepcopy(self._applications[object_id.lower()])

    def stored_service_principals(self) -> list[dict[str, Any]]:
        """Test helper: every service principal as stored, ignoring replication lag."""
        with self._lock:
            return copy.deepcopy(list(self._service_principals.values()))

    def find_application(self, display_name: str) -> dict[str, Any] | None:
        """Test helper: the application with this display name, ignoring replication delay."""
        with self._lock:
            for application in self._applications.values():
                if application["displayName"] == display_name:
                    return copy.deepcopy(application)
            return None

    def grants_of(self, client_id: str) -> list[dict[str, Any]]:
        """Test helper: the delegated permission grants of one client, ignoring replication delay."""
        with self._lock:
            return copy.deepcopy([g for g in self._grants.values() if g["clientId"] == client_id])

    def assignments_of(self, service_principal_id: str) -> list[dict[str, Any]]:
        """Test helper: the assignments to one service principal, ignoring replication delay."""
        with self._lock:
            return copy.deepcopy(
                [a for a in self._assignments.values() if a["resourceId"] == service_principal_id]
            )


def _sp_view(service_principal: dict[str, Any], *, with_keys: bool = False) -> dict[str, Any]:
    view = copy.deepcopy(service_principal)
    if not with_keys:
        view["keyCredentials"] = without_keys(view["keyCredentials"])
    return view


def apply_patch(target: dict[str, Any], changes: dict[str, Any]) -> None:
    """Graph's PATCH, as far as Graph promises it: every property sent replaces the stored one.

    A complex property (`web`, `api`, `info`, ...) is replaced whole, and the sub-properties it
    leaves out go back to their defaults: OData 4.0, which Graph implements, says only that the
    properties sent replace and those not sent stay, and leaves open whether a nested value is
    merged or replaced. A client that wants to keep what a portal admin set inside `web` (a
    logout URL, implicit grant) must send it back.
    """
    for name, value in changes.items():
        default = _COMPLEX_DEFAULTS.get(name)
        if default is not None and isinstance(value, dict):
            target[name] = {**copy.deepcopy(default), **copy.deepcopy(value)}
        else:
            target[name] = copy.deepcopy(value)


_SERVICE_PRINCIPAL_PROPERTIES = {
    "appRoleAssignmentRequired": bool,
    "accountEnabled": bool,
    "alternativeNames": list,
    "displayName": str,
    "homepage": (str, type(None)),
    "logoutUrl": (str, type(None)),
    "replyUrls": list,
    "tags": list,
    "notes": (str, type(None)),
    "description": (str, type(None)),
    "notificationEmailAddresses": list,
    "preferredSingleSignOnMode": (str, type(None)),
    "preferredTokenSigningKeyThumbprint": (str, type(None)),
}


_SERVICE_PRINCIPAL_READ_ONLY = (
    "id",
    "appId",
    "servicePrincipalNames",
    "appOwnerOrganizationId",
    "passwordCredentials",  # "Update servicePrincipal": use addPassword and removePassword
)


def _service_principal_changes(
    body: dict[str, Any], *, current: list[dict[str, Any]], creating: bool = False
) -> dict[str, Any]:
    """The properties a POST or PATCH body sets; `current` is the keyCredentials it may keep."""
    changes = {}
    for name, value in body.items():
        if name == "@odata.type" or (creating and name == "appId"):
            continue
        if name == "keyCredentials":
            changes[name] = service_principal_key_credentials(value, current)
            continue
        expected = _SERVICE_PRINCIPAL_PROPERTIES.get(name)
        if expected is None:
            if name in _SERVICE_PRINCIPAL_READ_ONLY:
                raise GraphError(
                    400, "Request_BadRequest", f"Property '{name}' is read-only and cannot be set."
                )
            raise GraphError(400, "Request_BadRequest", f"Invalid property '{name}'.")
        if not isinstance(value, expected) or not _well_formed(name, value):
            raise invalid_value(name, "ServicePrincipal")
        changes[name] = value
    return changes


def _well_formed(name: str, value: Any) -> bool:
    """Collections are of strings (every collection PATCHable here is); a display name is not blank."""
    if isinstance(value, list):
        return all(isinstance(item, str) for item in value)
    return name != "displayName" or bool(value.strip())


def _sign_key_id(certificate: TokenSigningCertificate) -> str:
    return next(c["keyId"] for c in certificate.key_credentials if c["usage"] == "Sign")


def _without_password(credentials: list[dict[str, Any]], key_id: str) -> list[dict[str, Any]]:
    """`credentials` less the one removePassword names, or Graph's 400 when none has that keyId."""
    remaining = [c for c in credentials if c["keyId"] != str(key_id).lower()]
    if len(remaining) == len(credentials):
        raise GraphError(400, "Request_BadRequest", f"No password credential found with keyId '{key_id}'.")
    return remaining


def _check_enabled_roles_kept(current: list[dict[str, Any]], new: list[dict[str, Any]]) -> None:
    """Graph's rule: an enabled app role may be neither removed nor given another value; disable
    it (isEnabled false) in one PATCH, then remove it in the next."""
    sent = {role["id"]: role for role in new}
    for role in current:
        kept = sent.get(role["id"])
        if role["isEnabled"] and (kept is None or kept["value"] != role["value"]):
            raise GraphError(
                400,
                "CannotDeleteOrUpdateEnabledEntitlement",
                "Permission (scope or role) cannot be deleted or updated unless disabled first.",
            )


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()

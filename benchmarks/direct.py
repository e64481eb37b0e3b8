"""The minimal plain script the overhead benchmark compares `pulumi up` with.

One organization onboarded with the same clients the providers use, the fewest calls, every
call as soon as what it needs is known (independent calls concurrent):

- Entra ID (GraphClient): register the app while the spec's groups and users are looked up, then
  add its client secret and create its enterprise app (service principal), then assign the
  groups and users. The app's body has the redirect URI, the optional claims and the groups
  claim; it leaves out the delegated Graph permissions, which add bytes, not calls.
- Okta (OktaClient): create the app (its answer carries the secret) while the groups are looked
  up, then assign them and set the groups claim.
- Keycloak (KeycloakAdminClient), from the start: create the roles and import the IdP's
  discovery document; once the IdP has issued the credentials, create the identity provider,
  then its mappers.

Run as `python -m benchmarks.direct` with the settings in the environment (see `settings`), so
it pays its own interpreter start and imports, as each Pulumi run does.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ssoprov.brokers.keycloak.client import from_environment

SETTINGS_VARIABLE = "SSOPROV_BENCH_DIRECT"
GROUPS_CLAIM = "groups"
SECRET_LIFETIME = timedelta(days=365)

Connect = Callable[[str, str, Mapping[str, str]], Awaitable[None]]
"""Give the broker the IdP app's (client ID, client secret, group name -> value in the groups claim)."""
OnboardApp = Callable[[Mapping[str, Any], str, Connect], Awaitable[None]]
"""Create the IdP's app for (organization, broker redirect URI), calling `Connect` once it can."""


def settings(organization: dict[str, Any]) -> str:
    """The JSON this script reads from SSOPROV_BENCH_DIRECT: the organization spec."""
    return json.dumps(organization)


def entra_discovery_url(idp: Mapping[str, Any]) -> str:
    login = os.environ["SSOPROV_ENTRA_LOGIN_URL"].rstrip("/")
    return f"{login}/{idp['tenantId']}/v2.0/.well-known/openid-configuration"


async def onboard_entra(organization: Mapping[str, Any], redirect_uri: str, connect: Connect) -> None:
    from ssoprov.entra.graph_client import graph_client_from_env  # each IdP's run imports its client only

    idp = organization["identityProvider"]
    graph = graph_client_from_env(idp["tenantId"])
    groups = list(
        dict.fromkeys([*idp["assignments"]["groups"], *(m["group"] for m in organization["roleMappings"])])
    )
    claims = [*idp["optionalClaims"], GROUPS_CLAIM]
    application, group_ids, user_ids = await asyncio.gather(
        graph.create_application(
            {
                "display_name": organization["displayName"],
                "sign_in_audience": "AzureADMyOrg",
                "redirect_uris": [redirect_uri],
                "id_token_claims": [
                    {"name": name, "essential": False, "additional_properties": []} for name in claims
                ],
                "group_membership_claims": idp["groupsClaim"],
            }
        ),
        asyncio.gather(*(graph.resolve_group(group) for group in groups)),
        asyncio.gather(*(graph.resolve_user(user) for user in idp["assignments"]["users"])),
    )
    group_id = dict(zip(groups, group_ids, strict=True))
    secret, service_principal = await asyncio.gather(
        graph.add_password(
            application["object_id"],
            f"{organization['name']} SSO broker",
            datetime.now(UTC) + SECRET_LIFETIME,
        ),
        graph.create_service_principal(application["app_id"], assignment_required=True),
    )
    assigned = [*(group_id[group] for group in idp["assignments"]["groups"]), *user_ids]
    await asyncio.gather(
        *(graph.assign(service_principal["object_id"], principal) for principal in assigned),
        connect(application["app_id"], secret["secret_text"], group_id),
    )


def okta_discovery_url(idp: Mapping[str, Any]) -> str:
    return f"{idp['orgUrl']}/.well-known/openid-configuration"


async def onboard_okta(organization: Mapping[str, Any], redirect_uri: str, connect: Connect) -> None:
    from ssoprov.okta.okta_client import okta_client_from_env

    idp = organization["identityProvider"]
    okta = okta_client_from_env(org_url=idp["orgUrl"])
    app, groups = await asyncio.gather(
        okta.create_oidc_web_app(organization["displayName"], [redirect_uri]),
        asyncio.gather(*(okta.find_group_by_name(name) for name in idp["groups"])),
    )
    if not app.client_secret:
        raise RuntimeError(f"Okta's answer to creating app {app.id} carried no client secret")
    claim = idp["groupsClaim"]
    await asyncio.gather(
        *(okta.assign_group(app.id, group.id, group_name=group.name) for group in groups),
        okta.set_groups_claim(app.id, claim["name"], claim["filterType"], claim["value"]),
        connect(app.client_id, app.client_secret, {group.name: group.name for group in groups}),
    )


IDENTITY_PROVIDERS: dict[str, tuple[Callable[[Mapping[str, Any]], str], OnboardApp]] = {
    "entra": (entra_discovery_url, onboard_entra),
    "okta": (okta_discovery_url, onboard_okta),
}
"""IdP kind -> (its discovery document's URL, the onboarding of its app)."""


async def onboard(organization: dict[str, Any]) -> None:
    idp, broker = organization["identityProvider"], organization["broker"]
    alias, realm = organization["name"], broker["realm"]
    redirect_uri = f"{broker['url']}/realms/{realm}/broker/{alias}/endpoint"
    discovery_url, onboard_app = IDENTITY_PROVIDERS[idp["kind"]]
    roles = {mapping["role"] for mapping in organization["roleMappings"]} | {organization["defaultRole"]}
    async with from_environment(broker["url"]) as keycloak:
        prepared = asyncio.gather(
            keycloak.import_config(realm, discovery_url(idp)),
            *(keycloak.create_realm_role(realm, role) for role in roles),
        )

        async def connect(client_id: str, client_secret: str, claim_values: Mapping[str, str]) -> None:
            endpoints, *_ = await prepared
            config = {**endpoints, "clientId": client_id, "clientSecret": client_secret}
            config |= {"clientAuthMethod": "client_secret_basic", "syncMode": "FORCE"}
            provider = {"alias": alias, "providerId": "oidc", "enabled": True, "config": config}
            await keycloak.create_identity_provider(realm, provider)
            mappers = [
                {
                    "name": f"{m['group']} to {m['role']}",
                    "identityProviderMapper": "oidc-role-idp-mapper",
                    "config": {
                        "claim": GROUPS_CLAIM,
                        "claim.value": claim_values[m["group"]],
                        "role": m["role"],
                        "syncMode": "INHERIT",
                    },
                }
                for m in organization["roleMappings"]
            ]
            mappers.append(
                {
                    "name": "default role",
                    "identityProviderMapper": "oidc-hardcoded-role-idp-mapper",
                    "config": {"role": organization["defaultRole"], "syncMode": "INHERIT"},
                }
            )
            await asyncio.gather(*(keycloak.create_mapper(realm, alias, mapper) for mapper in mappers))

        await onboard_app(organization, redirect_uri, connect)


def main() -> None:
    started = time.monotonic()
    asyncio.run(onboard(json.loads(os.environ[SETTINGS_VARIABLE])))
    print(f"onboarded in {time.monotonic() - started:.2f}s after imports", file=sys.stderr)


if __name__ == "__main__":
    main()

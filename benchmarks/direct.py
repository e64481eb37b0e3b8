"""The minimal plain script the overhead benchmark compares `pulumi up` with.

One Okta organization onboarded with the same clients the providers use (OktaClient,
KeycloakAdminClient), the fewest calls, independent calls concurrent: create the app (its
answer carries the secret), look up and assign the groups, set the groups claim; in Keycloak,
create the roles, import the discovery document, create the identity provider and its mappers.
Run as `python -m benchmarks.direct` with the settings in the environment (see `settings`), so
it pays its own interpreter start and imports, as each Pulumi run does.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from typing import Any

from components.brokers.keycloak.client import from_environment
from components.okta.okta_client import okta_client_from_env

SETTINGS_VARIABLE = "SSOPROV_BENCH_DIRECT"


def settings(organization: dict[str, Any]) -> str:
    """The JSON this script reads from SSOPROV_BENCH_DIRECT: the organization spec."""
    return json.dumps(organization)


async def onboard(organization: dict[str, Any]) -> None:
    idp, broker = organization["identityProvider"], organization["broker"]
    alias, realm = organization["name"], broker["realm"]
    redirect_uri = f"{broker['url']}/realms/{realm}/broker/{alias}/endpoint"
    okta = okta_client_from_env(org_url=idp["orgUrl"])
    app = await okta.create_oidc_web_app(organization["displayName"], [redirect_uri])
    groups = await asyncio.gather(*(okta.find_group_by_name(name) for name in idp["groups"]))
    claim = idp["groupsClaim"]
    await asyncio.gather(
        *(okta.assign_group(app.id, group.id, group_name=group.name) for group in groups),
        okta.set_groups_claim(app.id, claim["name"], claim["filterType"], claim["value"]),
    )
    roles = {mapping["role"] for mapping in organization["roleMappings"]} | {organization["defaultRole"]}
    async with from_environment(broker["url"]) as keycloak:
        discovery = f"{idp['orgUrl']}/.well-known/openid-configuration"
        endpoints, *_ = await asyncio.gather(
            keycloak.import_config(realm, discovery), *(keycloak.create_realm_role(realm, r) for r in roles)
        )
        config = {**endpoints, "clientId": app.client_id, "clientSecret": app.client_secret}
        config |= {"clientAuthMethod": "client_secret_post", "syncMode": "FORCE"}
        provider = {"alias": alias, "providerId": "oidc", "enabled": True, "config": config}
        await keycloak.create_identity_provider(realm, provider)
        mappers = [
            {
                "name": f"{m['group']} to {m['role']}",
                "identityProviderMapper": "oidc-role-idp-mapper",
                "config": {
                    "claim": claim["name"],
                    "claim.value": m["group"],
                    "role": m["role"],
                    "syncMode": "FORCE",
                },
            }
            for m in organization["roleMappings"]
        ]
        mappers.append(
            {
                "name": "default role",
                "identityProviderMapper": "oidc-hardcoded-role-idp-mapper",
                "config": {"role": organization["defaultRole"], "syncMode": "FORCE"},
            }
        )
        await asyncio.gather(*(keycloak.create_mapper(realm, alias, mapper) for mapper in mappers))


def main() -> None:
    started = time.monotonic()
    asyncio.run(onboard(json.loads(os.environ[SETTINGS_VARIABLE])))
    print(f"onboarded in {time.monotonic() - started:.2f}s after imports", file=sys.stderr)


if __name__ == "__main__":
    main()

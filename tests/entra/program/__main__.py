"""A program that builds only the Microsoft side of one organization: EntraApp, for lifecycle tests."""

import pulumi

from ssoprov.entra.component import EntraApp
from ssoprov.spec import CONFIG_NAMESPACE, parse_organization

REDIRECT_URI = "http://127.0.0.1:9/realms/r/broker/x/endpoint"

spec = parse_organization(pulumi.Config(CONFIG_NAMESPACE).get_object("organization"), "stack config")
entra = EntraApp(spec.name, spec, REDIRECT_URI)
info = entra.connection_info
pulumi.export("kind", info.kind)
pulumi.export("tenant", spec.identity_provider.tenant_id)
pulumi.export("applicationObjectId", entra.application.id)
pulumi.export("clientId", info.client_id)
pulumi.export("clientSecret", info.client_secret)
pulumi.export("discoveryUrl", info.discovery_url)
pulumi.export("secretKeyId", entra.client_secret.key_id)
pulumi.export("secretExpiresAt", info.secret_expires_at)
pulumi.export("groupClaimValues", info.group_claim_values)
pulumi.export("groupIds", entra.group_ids)
pulumi.export("assignedGroupIds", entra.assigned_group_ids)

"""A program that builds only the Okta side of one organization: OktaApp, for lifecycle tests."""

import pulumi

from ssoprov.okta.component import OktaApp
from ssoprov.spec import CONFIG_NAMESPACE, parse_organization

REDIRECT_URI = "http://127.0.0.1:9/realms/r/broker/x/endpoint"

spec = parse_organization(pulumi.Config(CONFIG_NAMESPACE).get_object("organization"), "stack config")
okta = OktaApp(spec.name, spec, REDIRECT_URI)
info = okta.connection_info
pulumi.export("appId", okta.app.id)
pulumi.export("clientId", info.client_id)
pulumi.export("clientSecret", info.client_secret)
pulumi.export("discoveryUrl", info.discovery_url)
pulumi.export("secretId", okta.client_secret.secret_id)
pulumi.export("secretRotateBy", info.secret_rotate_by)
pulumi.export("groupClaimValues", info.group_claim_values)
pulumi.export("assignedGroups", [a.group_name for a in okta.group_assignments])

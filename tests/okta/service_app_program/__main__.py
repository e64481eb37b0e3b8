"""The Okta resources a private-key service app may manage, for the DPoP lifecycle test: the app,
its group assignments and its client secret. (Not the legacy groups claim: Okta serves that
internal endpoint to SSWS API tokens only.)"""

import pulumi

from ssoprov.okta.app import OktaOidcApp, OktaOidcAppArgs
from ssoprov.okta.client_secret import OktaClientSecret, OktaClientSecretArgs
from ssoprov.okta.group_assignment import OktaGroupAssignment, OktaGroupAssignmentArgs

REDIRECT_URI = "http://127.0.0.1:9/realms/r/broker/x/endpoint"

config = pulumi.Config("test")
org_url = config.require("orgUrl")
app = OktaOidcApp(
    "app", OktaOidcAppArgs(org_url=org_url, label=config.require("label"), redirect_uris=[REDIRECT_URI])
)
for group in config.require_object("groups"):
    OktaGroupAssignment(
        f"group-{group}", OktaGroupAssignmentArgs(org_url=org_url, app_id=app.id, group_name=group)
    )
secret = OktaClientSecret(
    "secret",
    OktaClientSecretArgs(
        org_url=org_url,
        app_id=app.id,
        initial_secret_id=app.initial_secret_id,
        lifetime_days=365,
        rotate_after_days=180,
        rotate_before_expiry_days=30,
    ),
)
pulumi.export("appId", app.id)
pulumi.export("clientSecret", secret.client_secret)

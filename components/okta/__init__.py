"""Okta: the OIDC web app in the customer's Okta org, its group assignments, client secrets and
legacy groups claim, driven through `okta_client.OktaClient` (the okta SDK, imported lazily).
"""

"""Pulumi components that provision SSO connections from one organization spec per stack."""

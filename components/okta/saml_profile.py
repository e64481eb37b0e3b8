"""The attribute statements every Okta SAML app sends beside the group one: the user's email and
names, which the broker fills the user's profile from, each with the Okta expression it reads.

Both the spec (the group attribute may not take one of these names) and the app's provider
(`saml_app`, which writes them and reports them drifted) need them; they live apart from both so
that the provider process, which imports `saml_app`, does not import the spec's models.
"""

from __future__ import annotations

from typing import Final

PROFILE_ATTRIBUTES: Final = {name: f"user.{name}" for name in ("email", "firstName", "lastName")}

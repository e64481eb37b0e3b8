"""Step (c) of a signing-certificate rollover, whatever the IdP: the SAML app signs with the
certificate the broker trusts (the order is in ssoprov.saml_signing).

`SigningSwitchProvider` is the dynamic provider both IdPs' switch resources share. Its resource
comes after the broker's identity provider in the graph (its `broker_trusted` input is that
provider's output) and refuses to switch to a certificate not among them: the broker would refuse
every sign-in. An app already signing with the key is left alone. Read reports the key the app
signs with now, so a switch made in the admin console shows at `pulumi refresh`. Delete does
nothing: the app's own delete takes its keys. Each IdP says how it reads and switches.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from pulumi.dynamic import CreateResult, DiffResult, ReadResult, ResourceProvider, UpdateResult

from ssoprov.dynamic import exact_diff, gone
from ssoprov.errors import ProvisionerError

SWITCH_INPUTS = ("certificate", "broker_trusted")
"""Inputs every switch has beside its IdP's own, not compared: the certificate of the key to sign
with (base64 DER) and the certificates the broker trusts now."""


class SigningSwitchProvider(ResourceProvider):
    key: ClassVar[str]
    """The input naming the key to sign with (updated in place)."""
    replace_keys: ClassVar[tuple[str, ...]]
    """The inputs naming the app (another app is another resource)."""

    def signing_now(self, props: Mapping[str, Any]) -> str | None:
        """The key the app signs with now, spelt as `props[self.key]`; None if the app is gone."""
        raise NotImplementedError

    def switch_to_key(self, props: Mapping[str, Any]) -> None:
        """Make the app sign with `props[self.key]`."""
        raise NotImplementedError

    def switching(self, props: Mapping[str, Any]) -> str:
        """What the switch is, from what to what, for errors."""
        raise NotImplementedError

    def resource_id(self, props: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return exact_diff(olds, news, update_keys=(self.key,), replace_keys=self.replace_keys)

    def create(self, props: dict[str, Any]) -> CreateResult:
        self._switch(props)
        return CreateResult(id_=self.resource_id(props), outs=dict(props))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        now = self.signing_now(props)
        return gone() if now is None else ReadResult(id_, {**props, self.key: now})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        self._switch(news)
        return UpdateResult(outs=dict(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: the app signs with its key until the app itself is deleted."""

    def _switch(self, props: Mapping[str, Any]) -> None:
        require_broker_trust(props["certificate"], props.get("broker_trusted"), self.switching(props))
        if self.signing_now(props) != props[self.key]:
            self.switch_to_key(props)


def require_broker_trust(certificate: str, broker_trusted: Sequence[str] | None, switching: str) -> None:
    """Refuse to switch (`switching` says what to what) to a certificate the broker does not trust
    yet, which would fail every sign-in."""
    if certificate not in (broker_trusted or []):
        raise ProvisionerError(
            f"{switching}: the broker does not trust its certificate yet, so every sign-in would fail. "
            "Nothing was switched. Fix: run `pulumi up` again; if this repeats, check the broker's SAML "
            "identity provider"
        )

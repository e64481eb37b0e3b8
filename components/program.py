"""The Pulumi program: read this stack's organization spec and build its Organization."""

from __future__ import annotations

from pathlib import Path

import pulumi

from ssoprov.clock import AsOfError, as_of_from_environment
from ssoprov.spec import CONFIG_NAMESPACE
from ssoprov.spec.loading import spec_for_program
from ssoprov.spec.problems import InvalidSpec


def stack_file() -> str:
    return f"stacks/Pulumi.{pulumi.get_stack()}.yaml"


def main() -> None:
    try:
        # The providers read SSOPROV_AS_OF in their own processes: refuse a bad value here, once,
        # before any resource is registered, rather than as a provider error halfway through.
        as_of_from_environment()
    except AsOfError as exc:
        raise pulumi.RunError(str(exc)) from None
    config = pulumi.Config(CONFIG_NAMESPACE)
    try:
        spec = spec_for_program(
            config.get_object("organization"),
            pulumi.get_stack(),
            Path(pulumi.runtime.get_root_directory()) / stack_file(),
            stack_file(),
        )
    except InvalidSpec as exc:
        # RunError prints the message without a Python traceback, before any resource is registered.
        raise pulumi.RunError(f"invalid organization spec:\n{exc}") from None

    from ssoprov.organization import Organization

    organization = Organization(
        spec.name, spec, stack_file=stack_file(), oidc_client_secret=config.get_secret("oidcClientSecret")
    )
    for name, value in organization.stack_outputs().items():
        pulumi.export(name, value)

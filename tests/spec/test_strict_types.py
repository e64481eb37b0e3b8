"""Numbers and booleans in a spec are taken as written: no number from text, no boolean from a number."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from ssoprov.spec import parse_organization
from ssoprov.spec.problems import InvalidSpec
from tests.spec.stack_text import entra_stack

SPEC = "ssoprov:organization"


def spec_with(section: str, key: str, value: Any) -> dict[str, Any]:
    spec = yaml.safe_load(entra_stack())["config"][SPEC]
    spec[section][key] = value
    return spec


@pytest.mark.parametrize(
    ("section", "key", "value", "line"),
    [
        (
            "clientSecret",
            "lifetimeDays",
            "365",
            "clientSecret.lifetimeDays: is the text '365', not a number. "
            "Fix: write it without quotes: lifetimeDays: 365",
        ),
        (
            "clientSecret",
            "lifetimeDays",
            True,
            "clientSecret.lifetimeDays: is true, not a whole number. "
            "Fix: use a whole number of days from 1 to 730 (two years)",
        ),
        (
            "clientSecret",
            "rotateAfterDays",
            90.5,
            "clientSecret.rotateAfterDays: is 90.5, not a whole number. "
            "Fix: use days after creation at which a scheduled run replaces the secret",
        ),
        (
            "identityProvider",
            "multiTenant",
            1,
            "identityProvider.multiTenant: is 1, not true or false. "
            "Fix: write multiTenant: true or multiTenant: false",
        ),
        (
            "broker",
            "createRoles",
            "false",
            "broker.createRoles: is the text 'false', not true or false. "
            "Fix: write createRoles: true or createRoles: false",
        ),
    ],
)
def test_a_number_or_boolean_of_the_wrong_type_is_refused(
    section: str, key: str, value: Any, line: str
) -> None:
    with pytest.raises(InvalidSpec) as refused:
        parse_organization(spec_with(section, key, value), "stacks/Pulumi.acme.yaml")

    assert str(refused.value) == f"stacks/Pulumi.acme.yaml: {SPEC}.{line}"

"""The organization spec: the only place stack configuration is parsed and validated."""

from ssoprov.spec.loading import (
    CONFIG_NAMESPACE,
    SPEC_KEY,
    load_stack_file,
    parse_organization,
    validate_stack_dir,
)
from ssoprov.spec.models import OrganizationSpec
from ssoprov.spec.problems import SpecProblem

__all__ = [
    "CONFIG_NAMESPACE",
    "SPEC_KEY",
    "OrganizationSpec",
    "SpecProblem",
    "load_stack_file",
    "parse_organization",
    "validate_stack_dir",
]

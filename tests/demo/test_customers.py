"""The demo's example organizations, checked without starting anything: `make demo` signs every one's
users in, one organization after another, in the realms their stack files name."""

from __future__ import annotations

from itertools import combinations

from demo.customers import ORGANIZATIONS, SIGN_INS, realm_of


def test_no_user_signs_in_to_two_organizations_of_one_realm() -> None:
    """Keycloak would stop the second sign-in of an email at its account-linking page ("User with
    email ... already exists"), so `make demo` failed once two example organizations shared users."""
    signed_in = {
        organization: {check.login for check in SIGN_INS[organization] if check.roles is not None}
        for organization in ORGANIZATIONS
    }
    for first, second in combinations(ORGANIZATIONS, 2):
        if realm_of(first) == realm_of(second):
            assert not signed_in[first] & signed_in[second], (first, second)

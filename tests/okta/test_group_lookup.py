"""Group lookup by exact name in a large org: Okta's `q` stops at 300 and cannot be paged, `search`
pages with one Link header per relation; names with quotes and backslashes are escaped."""

from __future__ import annotations

import asyncio

import pytest
from multidict import CIMultiDict

from ssoprov.okta.okta_client import GroupLookupError, OktaClient, link_targets, search_literal
from tests.okta.conftest import OktaSandbox


def test_q_answers_at_most_300_groups_and_no_next_link(okta_sandbox: OktaSandbox) -> None:
    store = okta_sandbox.stand_in.store
    for number in range(320):
        store.add_group(f"Team-{number:03}")
    with okta_sandbox.http() as http:
        answer = http.get("/api/v1/groups", params={"q": "Team", "limit": "1000"})
    assert answer.status_code == 200 and len(answer.json()) == 300
    assert [link.endswith('rel="self"') for link in answer.headers.get_list("link")] == [True]


def test_search_pages_with_separate_self_and_next_link_headers(okta_sandbox: OktaSandbox) -> None:
    with okta_sandbox.http() as http:
        first = http.get("/api/v1/groups", params={"search": 'type eq "OKTA_GROUP"', "limit": "2"})
        links = first.headers.get_list("link")
        assert len(links) == 2 and links[0].endswith('rel="self"') and links[1].endswith('rel="next"')
        names = [g["profile"]["name"] for g in first.json()]
        url = link_targets(first.headers).get("next")
        while url:
            page = http.get(url)
            names += [g["profile"]["name"] for g in page.json()]
            url = link_targets(page.headers).get("next")
    assert sorted(names) == ["Admins", "Engineering", "Engineering-Contractors", "Sales"]


def test_link_targets_reads_every_link_header_and_joined_ones() -> None:
    separate = CIMultiDict(
        [
            ("Link", '<https://acme.okta.com/api/v1/groups?limit=2>; rel="self"'),
            ("Link", '<https://acme.okta.com/api/v1/groups?after=00g2&limit=2>; rel="next"'),
        ]
    )
    joined = {"link": ", ".join(separate.getall("Link"))}
    for headers in (separate, joined):
        assert link_targets(headers) == {
            "self": "/api/v1/groups?limit=2",
            "next": "/api/v1/groups?after=00g2&limit=2",
        }


def test_a_group_beyond_the_first_300_prefix_matches_is_found(
    okta: OktaClient, okta_sandbox: OktaSandbox
) -> None:
    store = okta_sandbox.stand_in.store
    for number in range(350):
        store.add_group(f"Team-{number:03}")
    team = store.add_group("Team", "created after 350 groups whose names start with it")
    assert asyncio.run(okta.find_group_by_name("Team")).id == team.id


def test_every_page_of_a_search_is_read(okta: OktaClient, okta_sandbox: OktaSandbox) -> None:
    """205 groups of one name take two pages of 200: all of them must be seen to call it ambiguous."""
    store = okta_sandbox.stand_in.store
    ids = {store.add_group("Dup", type="APP_GROUP").id for _ in range(205)}
    with pytest.raises(GroupLookupError) as ambiguous:
        asyncio.run(okta.find_group_by_name("Dup"))
    assert set(ambiguous.value.matches) == ids
    assert "205 groups have exactly this name" in str(ambiguous.value) and "and 195 more" in str(
        ambiguous.value
    )


@pytest.mark.parametrize("name", ['Say "hi"', "back\\slash", "R and D (core) or not", 'tricky \\" both'])
def test_names_with_quotes_backslashes_and_keywords_are_found_exactly(
    okta: OktaClient, okta_sandbox: OktaSandbox, name: str
) -> None:
    store = okta_sandbox.stand_in.store
    wanted = store.add_group(name)
    for decoy in {name + " extra", name.replace('"', "'").replace("\\", "/")} - {name}:
        store.add_group(decoy)
    assert asyncio.run(okta.find_group_by_name(name)).id == wanted.id


def test_search_literal_escapes_the_json_way() -> None:
    assert search_literal('a "b" \\ c') == '"a \\"b\\" \\\\ c"'
    assert search_literal("Équipe") == '"Équipe"'


def test_a_malformed_search_is_okta_e0000031(okta_sandbox: OktaSandbox) -> None:
    with okta_sandbox.http() as http:
        for expression in (
            'profile.name eq "unterminated',
            "profile.name eq Admins",
            'nope eq "x"',
            "(type pr",
        ):
            answer = http.get("/api/v1/groups", params={"search": expression})
            assert answer.status_code == 400 and answer.json()["errorCode"] == "E0000031", expression

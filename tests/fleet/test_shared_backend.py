"""A fleet on a real shared backend: Azurite (Microsoft's Azure Storage emulator) as the `azblob://`
state store the example pipelines use, written by several `ssoprov` processes at once.

- two `ssoprov up --shard i/2` at once converge their halves into the one container, and a run over
  the whole fleet afterwards finds every stack there with nothing to change;
- a second writer on a stack whose `up` is in progress gets Pulumi's lock error as one clear line,
  the first run finishes, and nothing in state is lost.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sandbox.azurite import AzuriteServer
from sandbox.common.server import ServedApp
from tests.fleet.conftest import SaaSStandIns, openid_provider
from tests.fleet.fleet import FleetProject, Run
from tests.fleet.test_fleet_workos import oidc_organization, okta_organization, stacks_by_name

NO_CHANGES = {"created": 0, "updated": 0, "replaced": 0, "deleted": 0}


@pytest.fixture(scope="module")
def azurite() -> Iterator[AzuriteServer]:
    with AzuriteServer() as server:
        yield server


@pytest.fixture
def slow_discovery_url() -> Iterator[str]:
    """An OpenID provider that takes 8 s to answer: an `up` that holds its lock that long."""
    with ServedApp(openid_provider(answer_after_seconds=8)) as served:
        yield f"{served.url}/.well-known/openid-configuration"


def shared_project(
    fleet_project: Callable[[dict[str, str]], FleetProject], saas: SaaSStandIns, azurite: AzuriteServer
) -> FleetProject:
    return fleet_project({**saas.env(), **azurite.env(), "PULUMI_BACKEND_URL": azurite.backend_url})


def checkpoints(azurite: AzuriteServer) -> set[str]:
    prefix = ".pulumi/stacks/ssoprov/"
    return {
        name.removeprefix(prefix).removesuffix(".json")
        for name in azurite.blob_names()
        if name.startswith(prefix) and name.endswith(".json")
    }


def locks(azurite: AzuriteServer) -> list[str]:
    return [name for name in azurite.blob_names() if name.startswith(".pulumi/locks/")]


def test_two_shards_at_once_converge_their_halves_on_one_azblob_backend(
    fleet_project: Callable[[dict[str, str]], FleetProject],
    saas: SaaSStandIns,
    azurite: AzuriteServer,
    discovery_url: str,
    tmp_path: Path,
) -> None:
    project = shared_project(fleet_project, saas, azurite)
    names = ["shard-a", "shard-b", "shard-c", "shard-d"]
    for name in names[:2]:
        project.write_stack(name, oidc_organization(saas, name, discovery_url))
    for name in names[2:]:
        project.write_stack(name, okta_organization(saas, name))

    def shard(index: int) -> tuple[Run, dict]:
        report = tmp_path / f"shard-{index}.json"
        run = project.ssoprov("up", "--shard", f"{index}/2", "--json-report", str(report))
        return run, stacks_by_name(json.loads(report.read_text()))

    with ThreadPoolExecutor(2) as pool:
        (first, first_stacks), (second, second_stacks) = pool.map(shard, (1, 2))

    assert first.code == 0, first.stdout + first.stderr
    assert second.code == 0, second.stdout + second.stderr
    assert set(first_stacks).isdisjoint(second_stacks)
    assert sorted({*first_stacks, *second_stacks}) == names
    for name, entry in {**first_stacks, **second_stacks}.items():
        assert entry["status"] == "succeeded", name
        assert entry["changes"]["created"] > 0, name
    assert checkpoints(azurite) >= set(names)
    assert locks(azurite) == []

    whole = project.ssoprov("up", "--json-report", str(tmp_path / "whole.json"))

    assert whole.code == 0, whole.stdout + whole.stderr
    for name, entry in stacks_by_name(json.loads((tmp_path / "whole.json").read_text())).items():
        changes = {key: entry["changes"][key] for key in NO_CHANGES}
        assert (entry["status"], changes) == ("succeeded", NO_CHANGES), name


def test_a_second_writer_gets_the_lock_error_and_nothing_is_lost(
    fleet_project: Callable[[dict[str, str]], FleetProject],
    saas: SaaSStandIns,
    azurite: AzuriteServer,
    slow_discovery_url: str,
    tmp_path: Path,
) -> None:
    project = shared_project(fleet_project, saas, azurite)
    project.write_stack("locked-oidc", oidc_organization(saas, "locked-oidc", slow_discovery_url))

    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(project.ssoprov, "up", "--stack", "locked-oidc")
        deadline = time.monotonic() + 120
        held = locks(azurite)
        while not held and time.monotonic() < deadline and not first.done():
            time.sleep(0.2)
            held = locks(azurite)
        if not held:
            ended = first.result() if first.done() else None
            output = f"; it ended first (exit {ended.code}):\n{ended.stdout}{ended.stderr}" if ended else ""
            pytest.fail(f"the first up never showed its lock{output}")
        second = project.ssoprov(
            "up", "--stack", "locked-oidc", "--json-report", str(tmp_path / "second.json")
        )
        first_run = first.result()

    assert second.code == 1, second.stdout + second.stderr
    entry = stacks_by_name(json.loads((tmp_path / "second.json").read_text()))["locked-oidc"]
    assert entry["status"] == "failed"
    assert entry["errors"][0].startswith("locked by a run in progress on this machine (")
    assert entry["errors"][0].endswith("): let it finish, then run again")
    assert "locked by a run in progress on this machine" in second.stdout + second.stderr
    assert first_run.code == 0, first_run.stdout + first_run.stderr
    assert locks(azurite) == []

    again = project.ssoprov("up", "--stack", "locked-oidc", "--json-report", str(tmp_path / "again.json"))

    assert again.code == 0, again.stdout + again.stderr
    entry = stacks_by_name(json.loads((tmp_path / "again.json").read_text()))["locked-oidc"]
    assert {key: entry["changes"][key] for key in NO_CHANGES} == NO_CHANGES
    assert entry["changes"]["unchanged"] > 0

"""`ssoprov upgrade-state`: stacks whose state names providers by ssoprov 0.1's module names
(`components.*`) get them renamed, so `refresh` and `destroy` work with the installed package."""

from __future__ import annotations

import base64
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import dill
from pulumi.dynamic.dynamic import serialize_provider

from ssoprov.brokers.workos.connection import _WorkosConnectionProvider
from ssoprov.fleet.engine import LOCAL_STATE_DIR
from ssoprov.fleet.provider_names import PROVIDER_KEY, renamed_provider
from tests.fleet.conftest import OIDC_CLIENT_SECRET, SaaSStandIns
from tests.fleet.fleet import FleetProject
from tests.fleet.test_fleet_workos import oidc_organization


@contextmanager
def importable_as_0_1(cls: type) -> Iterator[None]:
    """While open, `cls` lives in the module ssoprov 0.1 called it by (components.*), so pickles
    made meanwhile are the ones 0.1 recorded."""
    new_name = cls.__module__
    old_name = "components" + new_name.removeprefix("ssoprov")
    parts = new_name.split(".")
    aliases = {
        "components" + ".".join(parts[:i]).removeprefix("ssoprov"): sys.modules[".".join(parts[:i])]
        for i in range(1, len(parts) + 1)
    }
    sys.modules.update(aliases)
    cls.__module__ = old_name
    try:
        yield
    finally:
        cls.__module__ = new_name
        for alias in aliases:
            del sys.modules[alias]


def as_recorded_by_0_1(serialized: str) -> str:
    provider = dill.loads(base64.b64decode(serialized))
    with importable_as_0_1(type(provider)):
        return serialize_provider(provider)


def test_a_provider_pickled_under_the_old_name_loads_again_once_renamed() -> None:
    current = serialize_provider(_WorkosConnectionProvider())
    old = as_recorded_by_0_1(current)
    assert b"components.brokers.workos.connection" in base64.b64decode(old)

    renamed = renamed_provider(old)

    assert renamed == current
    assert isinstance(dill.loads(base64.b64decode(renamed)), _WorkosConnectionProvider)
    assert renamed_provider(current) is None


def pulumi(project: FleetProject, *args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as in a project that uses the installed package: no checkout on PYTHONPATH, so the
    folder components/ cannot stand in for the old module names."""
    env = {**project.process_env(), "PULUMI_BACKEND_URL": (project.root / LOCAL_STATE_DIR).as_uri()}
    env.pop("PYTHONPATH")
    return subprocess.run(
        ["pulumi", "--non-interactive", *args], cwd=project.root, env=env, capture_output=True, text=True
    )


def providers(project: FleetProject) -> list[bytes]:
    shown = pulumi(project, "stack", "export", "--stack", "initech", "--show-secrets").stdout
    resources = json.loads(shown)["deployment"]["resources"]
    return [
        base64.b64decode(json.loads(r["outputs"][PROVIDER_KEY]["plaintext"]))
        for r in resources
        if PROVIDER_KEY in r.get("outputs", {})
    ]


def test_upgrade_state_lets_refresh_and_destroy_load_the_recorded_providers(
    fleet_project: Callable[[dict[str, str]], FleetProject],
    saas: SaaSStandIns,
    discovery_url: str,
    tmp_path: Path,
) -> None:
    project = fleet_project(saas.env())
    project.write_stack("initech", oidc_organization(saas, "initech", discovery_url))
    assert project.ssoprov("up").code == 0
    # The state as ssoprov 0.1 would have recorded it: every provider under components.* (the
    # SDK keeps each one as a secret).
    exported = json.loads(pulumi(project, "stack", "export", "--stack", "initech", "--show-secrets").stdout)
    for resource in exported["deployment"]["resources"]:
        for part in ("inputs", "outputs"):
            envelope = resource.get(part, {}).get(PROVIDER_KEY)
            if envelope:
                old = as_recorded_by_0_1(json.loads(envelope["plaintext"]))
                envelope["plaintext"] = json.dumps(old)
    recorded = tmp_path / "recorded-by-0.1.json"
    recorded.write_text(json.dumps(exported))
    assert pulumi(project, "stack", "import", "--stack", "initech", "--file", str(recorded)).returncode == 0
    refused = pulumi(project, "refresh", "--yes", "--stack", "initech")
    assert refused.returncode != 0 and "No module named 'components'" in refused.stdout + refused.stderr

    upgraded = project.ssoprov("upgrade-state")

    assert upgraded.code == 0, upgraded.stderr
    recorded_now = providers(project)
    assert recorded_now and all(b"ssoprov." in p and b"components" not in p for p in recorded_now)
    assert re.search(rf"initech\s+succeeded\s+{len(recorded_now)}\n", upgraded.stdout), upgraded.stdout
    # Imported as plaintext envelopes, stored encrypted again; the client secret never in plaintext.
    stored = json.loads(pulumi(project, "stack", "export", "--stack", "initech").stdout)["deployment"]
    envelopes = [
        r["outputs"][PROVIDER_KEY] for r in stored["resources"] if PROVIDER_KEY in r.get("outputs", {})
    ]
    assert envelopes and all("ciphertext" in envelope for envelope in envelopes)
    state_files = (project.root / LOCAL_STATE_DIR).rglob("*.json")
    assert not any(OIDC_CLIENT_SECRET in path.read_text() for path in state_files)
    refreshed = pulumi(project, "refresh", "--yes", "--stack", "initech")
    assert refreshed.returncode == 0, refreshed.stdout + refreshed.stderr
    again = project.ssoprov("upgrade-state")
    assert again.code == 0 and re.search(r"initech\s+succeeded\s+0\n", again.stdout), again.stdout
    assert pulumi(project, "destroy", "--yes", "--stack", "initech").returncode == 0
    # WorkOS deletes asynchronously: the connection is being deleted, or already gone.
    assert all(c.state == "deleting" for c in saas.workos.store.connections.values())

"""`ssoprov report --html`: one static page of the fleet, checked as a browser renders it.

The page of a generated fleet (Okta and generic OIDC organizations with WorkOS, one drifted, one
not deployed) is opened in Debian's headless Chromium: its DOM lists every organization with its
status and drift result, and its screenshot is a drawn page, not a blank one. Faster tests pin the
timeline's geometry, escaping, and the refusal of a file that is not a drift report.
"""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from ssoprov.fleet.commands import read_drift_report
from ssoprov.fleet.html_report import TIMELINE_WIDTH, FleetRow, Timeline, render_page
from ssoprov.fleet.project import ProjectError
from tests.fleet.conftest import SaaSStandIns
from tests.fleet.fleet import FleetProject
from tests.fleet.test_fleet_workos import oidc_organization, okta_organization

TODAY = date(2026, 12, 1)


def row(stack: str, **fields: object) -> FleetRow:
    defaults: dict[str, object] = {
        "organization": stack,
        "idp": "okta",
        "broker": "keycloak",
        "status": "not-due",
        "expires": None,
        "rotate_by": None,
    }
    return FleetRow(stack=stack, **{**defaults, **fields})  # type: ignore[arg-type]


def test_the_timeline_starts_today_and_reaches_past_the_last_date() -> None:
    rows = [
        row("a", rotate_by=date(2027, 6, 1)),
        row("b", expires=date(2028, 12, 1), rotate_by=date(2028, 6, 1)),
    ]

    timeline = Timeline.spanning(TODAY, rows)

    assert timeline.start == TODAY and timeline.end > date(2028, 12, 1)
    assert timeline.x(TODAY) == 0
    assert 0 < timeline.x(date(2027, 6, 1)) < timeline.x(date(2028, 6, 1)) < timeline.x(date(2028, 12, 1))
    assert timeline.x(timeline.end) == TIMELINE_WIDTH
    assert timeline.x(date(2026, 10, 1)) == 0, "an overdue date sits on the left edge"
    assert Timeline.spanning(TODAY, [row("c")]).end == date(2027, 12, 1), "at least a year"


def test_every_value_is_escaped() -> None:
    hostile = "<script>alert(1)</script>"

    page = render_page([row("evil", organization=hostile, note=hostile)], TODAY, None, "file://x")

    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_file_that_is_not_a_drift_report_is_refused_naming_the_flag(tmp_path: Path) -> None:
    secrets_report = tmp_path / "secrets.json"
    secrets_report.write_text(json.dumps({"command": "secrets", "stacks": []}))

    with pytest.raises(ProjectError) as refused:
        read_drift_report(secrets_report)

    assert str(refused.value).startswith(f"--drift-report {secrets_report}: not the JSON report of")
    assert "Fix: pass the file `ssoprov drift --json-report" in str(refused.value)


def png_size_and_colours(path: Path) -> tuple[tuple[int, int], int]:
    """A PNG's width and height, and how many distinct byte values its pixel data holds."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    chunks, offset = [], 8
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if kind == b"IDAT":
            chunks.append(data[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return (width, height), len(set(zlib.decompress(b"".join(chunks))))


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    assert binary, (
        "Debian's chromium is not installed: `make test` installs it (bootstrap/system-packages.sh)"
    )
    flags = ["--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}", "--hide-scrollbars"]
    return subprocess.run([binary, *flags, *args], capture_output=True, text=True, timeout=120, check=True)


def test_the_page_of_a_generated_fleet_renders_in_headless_chromium(
    fleet_project: Callable[[dict[str, str]], FleetProject],
    saas: SaaSStandIns,
    discovery_url: str,
    tmp_path: Path,
) -> None:
    project = fleet_project(saas.env())
    project.write_stack("okta-one", okta_organization(saas, "okta-one"))
    project.write_stack("okta-two", okta_organization(saas, "okta-two", lifetime_days=200))
    project.write_stack("oidc-one", oidc_organization(saas, "oidc-one", discovery_url))
    project.write_stack("okta-later", okta_organization(saas, "okta-later"))
    assert project.ssoprov("up", "--exclude", "okta-later").code == 0
    [connection] = [c for c in saas.workos.store.connections.values() if c.external_id == "oidc-one"]
    connection.name = "Renamed in the dashboard"
    drift_report = tmp_path / "drift.json"
    assert project.ssoprov("drift", "--json-report", str(drift_report)).code == 1
    page = tmp_path / "pages" / "fleet.html"  # a folder not made yet, as --json-report allows

    made = project.ssoprov("report", "--html", str(page), "--drift-report", str(drift_report))

    assert made.code == 0, made.stdout + made.stderr
    assert f"wrote {page}: 4 organizations as of" in made.stderr
    dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile").stdout
    rows = {
        stack: dom.split(f'<tr data-stack="{stack}">', 1)[1].split("</tr>", 1)[0]
        for stack in ("okta-one", "okta-two", "oidc-one", "okta-later")
    }
    assert ">not-due</td>" in rows["okta-one"] and ">clean</td>" in rows["okta-one"]
    assert ">workos</td>" in rows["okta-two"] and "does not expire" in rows["okta-two"]
    assert ">not-managed</td>" in rows["oidc-one"] and ">drifted</td>" in rows["oidc-one"]
    assert "oidc-one-workos-connection: update" in rows["oidc-one"]
    assert ">not-deployed</td>" in rows["okta-later"] and ">not checked</td>" in rows["okta-later"]
    assert rows["okta-one"].count('class="rotate-by"') == 1

    screenshot = tmp_path / "fleet.png"
    chromium(
        f"--screenshot={screenshot}", "--window-size=1400,400", page.as_uri(), profile=tmp_path / "profile"
    )
    size, colours = png_size_and_colours(screenshot)
    assert size == (1400, 400)
    assert colours > 50, "the screenshot is blank"

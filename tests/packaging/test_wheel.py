"""The built wheels, installed into a fresh virtualenv: `import ssoprov` and nothing else at the top
level; the stand-ins only with the `sandbox` extra (their own distribution)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

INSPECT = """
import importlib, importlib.metadata, importlib.util, json, pkgutil, sys
import ssoprov
found = {"file": ssoprov.__file__}
top_level = ("components", "sandbox", "tests")
found["top_level"] = {name: importlib.util.find_spec(name) is not None for name in top_level}
found["modules"] = sorted(m.name for m in pkgutil.walk_packages(ssoprov.__path__, "ssoprov."))
for name in found["modules"]:
    importlib.import_module(name)
spec = ssoprov.parse_organization(
    {"name": "acme", "displayName": "Acme", "identityProvider": {"kind": "okta", "orgUrl": "https://acme.okta.com"},
     "broker": {"kind": "keycloak", "url": "https://sso.example.com", "realm": "customers"}},
    source="inline",
)
found["spec"] = spec.name
found["public"] = sorted(name for name in ssoprov.__all__ if getattr(ssoprov, name) is not None)
found["requires"] = importlib.metadata.requires("ssoprov")
print(json.dumps(found))
"""


def run(*args: str | Path, cwd: Path) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both wheels built from copies of the sources, so the checkout gets no build/ or egg-info."""
    work = tmp_path_factory.mktemp("wheels")
    shutil.copy(REPO / "pyproject.toml", work / "pyproject.toml")
    ignore = shutil.ignore_patterns("__pycache__", "build", "*.egg-info")
    shutil.copytree(REPO / "components", work / "components", ignore=ignore)
    shutil.copytree(REPO / "sandbox", work / "sandbox", ignore=ignore)
    dist = work / "dist"
    pip_wheel = (sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", dist)
    for source in (work, work / "sandbox"):
        run(*pip_wheel, source, cwd=work)
    return {path.name.split("-")[0]: path for path in dist.glob("*.whl")}


def fresh_venv(root: Path) -> Path:
    """A virtualenv that sees this one's dependencies (through a .pth file) but none of its
    editable installs: those are .pth files too, and Python reads .pth files only in site dirs."""
    run(sys.executable, "-m", "venv", "--without-pip", root, cwd=root.parent)
    python = root / "bin" / "python"
    site = Path(
        run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=root).strip()
    )
    (site / "project-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def install(python: Path, wheel: Path) -> None:
    run(
        sys.executable,
        "-m",
        "pip",
        "--python",
        python,
        "install",
        "--quiet",
        "--no-deps",
        wheel,
        cwd=wheel.parent,
    )


def test_the_wheel_holds_ssoprov_only_and_its_public_surface_works(
    wheels: dict[str, Path], tmp_path: Path
) -> None:
    python = fresh_venv(tmp_path / "venv")
    install(python, wheels["ssoprov"])

    found = json.loads(run(python, "-c", INSPECT, cwd=tmp_path))
    assert Path(found["file"]).is_relative_to(tmp_path / "venv")
    assert found["top_level"] == {"components": False, "sandbox": False, "tests": False}
    in_checkout = {
        "ssoprov."
        + ".".join(path.relative_to(REPO / "components").with_suffix("").parts).removesuffix(".__init__")
        for path in (REPO / "components").rglob("*.py")
        if path.name != "__init__.py" or path.parent != REPO / "components"
    }
    assert set(found["modules"]) == in_checkout
    assert found["spec"] == "acme"
    assert found["public"] == sorted(found["public"]) and "Organization" in found["public"]
    assert 'ssoprov-sandbox==0.1.0; extra == "sandbox"' in found["requires"]
    assert "usage: ssoprov" in run(tmp_path / "venv" / "bin" / "ssoprov", "--help", cwd=tmp_path)


def test_the_sandbox_extra_brings_the_stand_ins(wheels: dict[str, Path], tmp_path: Path) -> None:
    python = fresh_venv(tmp_path / "venv")
    install(python, wheels["ssoprov"])
    install(python, wheels["ssoprov_sandbox"])

    check = "import sandbox.graph.app, sandbox.okta.app, sandbox.workos.app, sandbox.keycloak; "
    check += "print(sandbox.__file__)"
    assert Path(run(python, "-c", check, cwd=tmp_path).strip()).is_relative_to(tmp_path / "venv")

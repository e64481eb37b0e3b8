"""What each of a stack's Python processes imports, since imports are most of their CPU.

Every stack run starts two interpreters: the Pulumi program, which imports the provider modules to
declare resources but calls no API, and the dynamic-provider process, which imports the provider
modules named in the engine's requests and, in a no-op preview, only diffs. Neither should pay for
an SDK or an HTTP stack before a call needs it (msgraph with kiota and azure-identity, the okta SDK
with aiohttp, httpx, cryptography), nor the provider for the spec's pydantic models, which only the
program validates with. Each is tens to hundreds of milliseconds of CPU per stack, in every stack
of a fleet (`python -m benchmarks breakdown` shows them per process).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY_PACKAGES = (
    "msgraph",
    "kiota_abstractions",
    "azure",
    "okta",
    "aiohttp",
    "httpx",
    "cryptography",
    "pydantic",
)

PROVIDER_MODULES = """
import importlib, inspect, json, pkgutil, ssoprov
from pulumi.dynamic import ResourceProvider

def defines_provider(module):
    return any(
        inspect.isclass(value) and issubclass(value, ResourceProvider) and value.__module__ == module.__name__
        for value in vars(module).values()
    )

names = [info.name for info in pkgutil.walk_packages(ssoprov.__path__, "ssoprov.")]
print(json.dumps([name for name in names if defines_provider(importlib.import_module(name))]))
"""


def imported_after(modules: list[str]) -> set[str]:
    """The modules a fresh interpreter holds after importing `modules` (and Pulumi's dynamic API)."""
    code = (
        "import json, sys, pulumi.dynamic\n"
        + "".join(f"import {name}\n" for name in modules)
        + "print(json.dumps(sorted(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(json.loads(result.stdout))


def heavy(modules: set[str]) -> set[str]:
    return {name for name in modules if name.split(".")[0] in HEAVY_PACKAGES}


def test_the_provider_process_imports_no_sdk_nor_spec_until_a_call_needs_one() -> None:
    found = subprocess.run(
        [sys.executable, "-c", PROVIDER_MODULES], capture_output=True, text=True, check=True
    )
    provider_modules = json.loads(found.stdout)
    assert {
        "ssoprov.entra.client_secret",
        "ssoprov.okta.saml_app",
        "ssoprov.brokers.keycloak.realm_roles",
    } <= set(provider_modules)

    imported = imported_after(provider_modules)

    assert heavy(imported) == set()
    assert {name for name in imported if name.startswith("ssoprov.spec")} == set()


def test_the_program_of_an_entra_or_okta_organization_imports_no_api_client() -> None:
    components = [
        "ssoprov.program",
        "ssoprov.organization",
        "ssoprov.entra.component",
        "ssoprov.entra.saml_component",
        "ssoprov.okta.component",
        "ssoprov.okta.saml_component",
        "ssoprov.brokers.keycloak.broker",
        "ssoprov.brokers.workos.broker",
    ]

    imported = imported_after(components)

    assert "ssoprov.brokers.keycloak.assertion_key" in imported
    assert heavy(imported) == {name for name in imported if name.split(".")[0] == "pydantic"}

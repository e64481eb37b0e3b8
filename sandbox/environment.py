"""The whole local sandbox: Graph + Entra sign-in, Okta, WorkOS stand-ins and a real Keycloak.

The demo, the integration tests and the fleet tests all run organizations against this, so the
wiring (ports, credentials, the environment the Pulumi engine passes to provider processes)
lives here once.
"""

from __future__ import annotations

import secrets
from contextlib import ExitStack
from dataclasses import dataclass, field

from sandbox.common.server import ServedApp
from sandbox.graph.app import GraphStandIn, build_graph_standin
from sandbox.keycloak import KeycloakServer
from sandbox.okta.app import OktaStandIn, build_okta_standin
from sandbox.workos.app import WorkosStandIn, build_workos_standin


@dataclass(frozen=True)
class SandboxPorts:
    """0 picks a free port (tests); the demo uses fixed ones so its example stacks can name them."""

    keycloak: int = 0
    graph: int = 0
    okta: int = 0
    workos: int = 0


DEMO_PORTS = SandboxPorts(keycloak=18080, graph=18081, okta=18082, workos=18083)


@dataclass
class LocalSandbox:
    """Start with `with LocalSandbox() as sandbox:`; an already running Keycloak can be passed in,
    or none started (`with_keycloak=False`) for organizations brokered by WorkOS."""

    ports: SandboxPorts = field(default_factory=SandboxPorts)
    keycloak: KeycloakServer | None = None
    with_keycloak: bool = True
    graph: GraphStandIn = field(default_factory=build_graph_standin)
    okta_api_token: str = field(default_factory=lambda: "00" + secrets.token_urlsafe(30))
    workos_api_key: str = field(default_factory=lambda: "sk_test_" + secrets.token_urlsafe(24))
    graph_url: str = ""
    okta_url: str = ""
    workos_url: str = ""

    def __post_init__(self) -> None:
        self.okta: OktaStandIn = build_okta_standin(api_token=self.okta_api_token)
        self.workos: WorkosStandIn = build_workos_standin(api_keys=[self.workos_api_key])
        self._exit = ExitStack()

    def __enter__(self) -> LocalSandbox:
        try:
            self.graph_url = self._exit.enter_context(ServedApp(self.graph.app, self.ports.graph)).url
            self.okta_url = self._exit.enter_context(ServedApp(self.okta.app, self.ports.okta)).url
            self.workos_url = self._exit.enter_context(ServedApp(self.workos.app, self.ports.workos)).url
            if self.keycloak is None and self.with_keycloak:
                self.keycloak = self._exit.enter_context(KeycloakServer(port=self.ports.keycloak or None))
        except BaseException:
            self._exit.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._exit.close()

    @property
    def keycloak_url(self) -> str:
        assert self.keycloak is not None, "the sandbox is not started"
        return self.keycloak.url

    def engine_env(self) -> dict[str, str]:
        """What provider processes need to reach the sandbox instead of the real clouds."""
        assert self.graph_url, "the sandbox is not started"
        env = {
            "SSOPROV_GRAPH_URL": self.graph_url,
            "SSOPROV_ENTRA_LOGIN_URL": self.graph_url,
            "OKTA_API_TOKEN": self.okta_api_token,
            "WORKOS_API_KEY": self.workos_api_key,
            "WORKOS_BASE_URL": self.workos_url,
        }
        if self.keycloak is not None:
            env["KEYCLOAK_ADMIN_USERNAME"] = self.keycloak.admin_username
            env["KEYCLOAK_ADMIN_PASSWORD"] = self.keycloak.admin_password
        return env

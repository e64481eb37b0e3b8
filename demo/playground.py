"""`make sandbox`: the stand-ins and Keycloak in the foreground, to run the example stacks by hand.

Where `make demo` is a scripted show, this leaves the typing to the user: it starts the sandbox on
the demo's fixed ports, copies the project with its example stacks into a scratch folder (so
`pulumi stack init` never edits the repository's stack files), prepares the realm and the
generic-OIDC customer's app, and writes what another shell needs into a file of its own (mode
0600: it holds the sandbox's API tokens and passphrase, which are never printed). Ctrl-C stops
everything and removes the folder: the stand-ins keep their data in memory only, so state that
outlived them would describe objects that no longer exist.
"""

from __future__ import annotations

import os
import secrets
import shlex
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

from demo.customers import GENERIC_OIDC_ORGANIZATION, set_up_examples
from sandbox.common.oidc_issuer import SANDBOX_USER_PASSWORD
from sandbox.environment import DEMO_PORTS, LocalSandbox
from sandbox.graph.seed import CONTOSO
from sandbox.workos import INITECH

ENV_FILE = "sandbox.env"
WORKOS_APP_REDIRECT_URI = "http://127.0.0.1:9/sso/callback"
"""The redirect URI of the user's app, registered with the WorkOS stand-in (the dashboard's
Redirects page), for `ssoprov verify-login` on a WorkOS stack: it is never requested."""
OIDC_SECRET_FILE = f"{GENERIC_OIDC_ORGANIZATION}-client-secret"
FORWARDED = (
    "PATH",
    "SSOPROV_PULUMI_BIN",
    "PULUMI_SKIP_UPDATE_CHECK",
    "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION",
)
"""From the bootstrap's environment: the pinned `pulumi`, its language host and the venv."""


def write_private(path: Path, text: str) -> None:
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
        handle.write(text)


def shell_exports(variables: Mapping[str, str]) -> str:
    return "".join(f"export {name}={shlex.quote(value)}\n" for name, value in variables.items())


def instructions(scratch: Path, workos_url: str) -> str:
    project = scratch / "project"
    return f"""
sandbox: ready. In another shell:

  source {scratch / ENV_FILE}
  cd {project}
  pulumi stack init acme-entra   # or globex-okta, vandelay-okta-saml, {GENERIC_OIDC_ORGANIZATION} (below)
  pulumi preview
  pulumi up
  ssoprov verify-login stacks/Pulumi.acme-entra.yaml --user alice@contoso.example
  ssoprov secrets --stack acme-entra
  pulumi destroy

{GENERIC_OIDC_ORGANIZATION} needs the client secret its IT team hands over, before `pulumi up`:
  pulumi config set --secret ssoprov:oidcClientSecret < {scratch / OIDC_SECRET_FILE}

WorkOS brokers an organization of its stand-in ({INITECH.name}, {INITECH.id}):
  ssoprov new initech-workos --idp entra --tenant-id {CONTOSO.tenant_id} --assign-group Engineering \\
    --broker workos --workos-organization-id {INITECH.id} --workos-redirect-uri {workos_url}/sso/oidc/callback
  pulumi stack init initech-workos && pulumi up
  ssoprov verify-login stacks/Pulumi.initech-workos.yaml --user alice@contoso.example

Ctrl-C here stops the sandbox and removes {scratch}.
"""


def wait_for_stop() -> None:
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    while not stop.wait(1):
        pass


def main() -> int:
    scratch = Path(tempfile.mkdtemp(prefix="ssoprov-sandbox-"))
    try:
        print("sandbox: starting the stand-ins and Keycloak on 127.0.0.1:18080-18083", flush=True)
        with LocalSandbox(ports=DEMO_PORTS) as sandbox:
            examples = set_up_examples(sandbox, scratch / "project")
            (scratch / "state").mkdir()
            write_private(scratch / OIDC_SECRET_FILE, examples.oidc_client_secret)
            variables = {name: os.environ[name] for name in FORWARDED if name in os.environ}
            variables |= sandbox.engine_env()
            sandbox.workos.store.redirect_uris.add(WORKOS_APP_REDIRECT_URI)
            variables |= {
                "PULUMI_BACKEND_URL": (scratch / "state").as_uri(),
                "PULUMI_CONFIG_PASSPHRASE": secrets.token_urlsafe(24),
                "SSOPROV_VERIFY_PASSWORD": SANDBOX_USER_PASSWORD,
                "WORKOS_CLIENT_ID": sandbox.workos.client_id,
                "WORKOS_REDIRECT_URI": WORKOS_APP_REDIRECT_URI,
            }
            write_private(scratch / ENV_FILE, shell_exports(variables))
            print(instructions(scratch, sandbox.workos_url), flush=True)
            wait_for_stop()
            print("sandbox: stopping", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Serve the WorkOS stand-in in the foreground.

    python -m sandbox.workos [--port 8083] [--api-key sk_...] [--deletion-seconds 1]

Point the provisioner at it with `WORKOS_BASE_URL=http://127.0.0.1:<port>` and
`WORKOS_API_KEY=<the key>`; drive faults and read the call log through `/_sandbox/faults` and
`/_sandbox/calls`.
"""

from __future__ import annotations

import argparse

import uvicorn

from sandbox.workos import DEFAULT_API_KEY, build_workos_standin
from sandbox.workos.store import DEFAULT_DELETION_SECONDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8083)
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the API key to accept as Bearer token")
    parser.add_argument(
        "--deletion-seconds",
        type=float,
        default=DEFAULT_DELETION_SECONDS,
        help="how long a deleted connection stays in state deleting",
    )
    args = parser.parse_args()
    standin = build_workos_standin(api_keys=[args.api_key], deletion_seconds=args.deletion_seconds)
    organizations = ", ".join(f"{o.id} ({o.name})" for o in standin.store.organizations.values())
    print(f"WorkOS stand-in on http://127.0.0.1:{args.port} with organizations {organizations}", flush=True)
    uvicorn.run(standin.app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()

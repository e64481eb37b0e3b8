"""Serve the Graph stand-in in the foreground: `python -m sandbox.graph [--port 8081]`.

Point the provisioner at it with `SSOPROV_GRAPH_URL=http://127.0.0.1:<port>`; drive faults and
read the call log through `/_sandbox/faults` and `/_sandbox/calls`.
"""

from __future__ import annotations

import argparse

import uvicorn

from sandbox.graph import build_graph_standin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument(
        "--replication-lag",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="how long new objects take to replicate, as Graph's answers right after a create show",
    )
    args = parser.parse_args()
    standin = build_graph_standin(replication_lag_seconds=args.replication_lag)
    print(f"Graph stand-in for tenant {standin.tenant_id} on http://127.0.0.1:{args.port}/v1.0", flush=True)
    uvicorn.run(standin.app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="off")


if __name__ == "__main__":
    main()

"""`ssoprov`: operations over the organization stacks in a repository."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from components.spec.loading import stack_files, validate_stack_files


def _validate(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.files] or stack_files(Path(args.stack_dir))
    if not paths:
        print(f"no stack files (Pulumi.*.yaml) found in {args.stack_dir}", file=sys.stderr)
        return 2
    problems = validate_stack_files(paths)
    for problem in problems:
        print(problem)
    bad_files = len({problem.file for problem in problems})
    print(f"{len(paths) - bad_files} of {len(paths)} stack files valid, {len(problems)} problems")
    return 1 if problems else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ssoprov", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check every stack file; no cloud calls")
    validate.add_argument("files", nargs="*", help="stack files (default: all in --stack-dir)")
    validate.add_argument("--stack-dir", default="stacks")
    validate.set_defaults(run=_validate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

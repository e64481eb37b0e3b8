"""`ssoprov`: operations over the organization stacks in a repository.

validate            check stack files; no cloud calls
preview, up         run the program over a selection of stacks, in parallel
rotate              replace the client secrets and realm keys that are due (as of --as-of)
secrets             expiry report of client secrets, certificates and realm keys
report --html FILE  the fleet on one static page: expiry timeline, last drift result
drift               out-of-band changes per stack (refresh in preview-only mode); exit 1 on drift
recover             after a run that did not finish (killed engine, lost runner): unlock, refresh, up
client-secret       print one stack's current client secret, for a dashboard that has no API
new                 scaffold a stack file for a new organization
adopt               bring a connection made by hand under a new stack (--list: what is left)
verify-login        sign a user in through the broker (Keycloak, WorkOS) and report roles and claims

Exit codes: 0 all well; 1 a stack failed, was invalid or drifted; 2 usage error; 130 interrupted.
See docs/fleet.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ssoprov.spec.loading import stack_file_warnings, stack_files, validate_stack_files
from ssoprov.wording import counted

if TYPE_CHECKING:
    from ssoprov.spec.models import OrganizationSpec


def _validate(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.files] or stack_files(Path(args.stack_dir))
    if not paths:
        print(f"no stack files (Pulumi.*.yaml) found in {args.stack_dir}", file=sys.stderr)
        return 2
    problems = validate_stack_files(paths)
    for problem in problems:
        print(problem)
    for warning in stack_file_warnings(paths):
        print(f"warning: {warning}")
    bad_files = len({problem.file for problem in problems})
    valid = f"{len(paths) - bad_files} of {counted(len(paths), 'stack file')} valid"
    print(f"{valid}, {counted(len(problems), 'problem')}")
    return 1 if problems else 0


def _fleet_run(args: argparse.Namespace):  # -> FleetRun (imported lazily: validate stays light)
    from ssoprov.fleet.commands import FleetRun
    from ssoprov.fleet.engine import fleet_engine
    from ssoprov.fleet.project import Project, ProjectError
    from ssoprov.fleet.selection import Shard, select

    project = Project.at(Path(args.project_dir)) if args.project_dir else Project.find(Path.cwd())
    if args.parallel < 1:
        raise ProjectError(f"--parallel {args.parallel}: must be at least 1. Fix: e.g. --parallel 4")
    selection = select(
        project,
        args.stack or [],
        exclude=args.exclude or [],
        changed_since=args.changed_since,
        until=args.until,
        shard=Shard.parse(args.shard) if args.shard else None,
    )
    engine = fleet_engine(project, args.backend, args.secrets_provider)
    return FleetRun(
        project=project,
        selection=selection,
        engine=engine,
        parallel=args.parallel,
        progress_mode=getattr(args, "progress", "auto"),
        json_report=Path(args.json_report) if getattr(args, "json_report", None) else None,
    )


def _changes(args: argparse.Namespace) -> int:
    from ssoprov.fleet import commands

    commands.check_as_of(None)  # a bad SSOPROV_AS_OF stops here once, not in every stack's program
    return commands.changes(_fleet_run(args), args.command, refresh=args.refresh, full=args.full)


def _rotate(args: argparse.Namespace) -> int:
    from ssoprov.fleet import commands

    as_of = commands.check_as_of(args.as_of)
    return commands.rotate(_fleet_run(args), as_of, args.dry_run, args.generic_oidc_key_registered)


def _secrets(args: argparse.Namespace) -> int:
    from ssoprov.fleet import commands

    as_of = commands.check_as_of(args.as_of)
    return commands.secrets(_fleet_run(args), as_of, args.json)


def _report(args: argparse.Namespace) -> int:
    from ssoprov.fleet import commands

    as_of = commands.check_as_of(args.as_of)
    drift_report = Path(args.drift_report) if args.drift_report else None
    return commands.fleet_page(_fleet_run(args), as_of, Path(args.html), drift_report)


def _drift(args: argparse.Namespace) -> int:
    from ssoprov.fleet import commands

    return commands.drift(_fleet_run(args))


def _recover(args: argparse.Namespace) -> int:
    from ssoprov.fleet import commands

    return commands.recover(_fleet_run(args))


def _upgrade_state(args: argparse.Namespace) -> int:
    from ssoprov.fleet import commands

    return commands.upgrade_state(_fleet_run(args))


def _client_secret(args: argparse.Namespace) -> int:
    from ssoprov.fleet.client_secret import current_client_secret
    from ssoprov.fleet.engine import fleet_engine
    from ssoprov.fleet.project import Project
    from ssoprov.spec.loading import load_stack_file

    project = Project.at(Path(args.project_dir)) if args.project_dir else Project.find(Path.cwd())
    spec = load_stack_file(project.stack_file(args.stack))[0]
    print(current_client_secret(fleet_engine(project, args.backend), args.stack, spec))
    return 0


def _new(args: argparse.Namespace) -> int:
    from ssoprov.fleet.project import Project
    from ssoprov.fleet.scaffold import NewOrganization, scaffold

    if args.stack_dir:
        stack_dir = Path(args.stack_dir)
    else:
        project = Project.at(Path(args.project_dir)) if args.project_dir else Project.find(Path.cwd())
        stack_dir = project.stack_dir
    fields = {key: value for key, value in vars(args).items() if key in NewOrganization.__dataclass_fields__}
    new = NewOrganization(**fields)
    target = stack_dir / f"Pulumi.{new.name}.yaml"
    shown = os.path.relpath(target) if not os.path.relpath(target).startswith("..") else str(target)
    done = scaffold(new, stack_dir, shown, write=not args.print)
    if args.print:
        print(done.text, end="")
        return 0
    print(f"wrote {shown}")
    for warning in done.warnings:
        print(f"warning: {warning}")
    for step in done.next_steps:
        print(f"next: {step}")
    return 0


def _adopt(args: argparse.Namespace) -> int:
    from ssoprov.adoption.command import (
        EntraSource,
        KeycloakSource,
        OktaSource,
        WorkosSource,
        adopt,
        unmanaged_connections,
        unmanaged_workos_connections,
    )
    from ssoprov.fleet.engine import fleet_engine
    from ssoprov.fleet.project import Project, ProjectError

    project = Project.at(Path(args.project_dir)) if args.project_dir else Project.find(Path.cwd())
    if args.list:
        if args.workos == bool(args.keycloak_url and args.realm):
            raise ProjectError(
                "adopt --list needs --keycloak-url and --realm, or --workos. Fix: ssoprov adopt --list "
                "--keycloak-url URL --realm REALM, or ssoprov adopt --list --workos"
            )
        if args.workos:
            engine = fleet_engine(project, args.backend, args.secrets_provider)
            rows, where = unmanaged_workos_connections(project, engine), "WorkOS"
        else:
            rows, where = unmanaged_connections(project, args.keycloak_url, args.realm), f"realm {args.realm}"
        for row in rows:
            print(f"{row.alias:<30} {row.provider_id:<10} {row.points_at}")
        print(f"{counted(len(rows), 'connection')} in {where} that no stack manages")
        return 0
    keycloak = bool(args.keycloak_url and args.realm and args.alias)
    workos = bool(args.workos_connection and args.redirect_uri)
    if not args.name or keycloak == workos:
        raise ProjectError(
            "adopt needs NAME and one connection: --keycloak-url, --realm and --alias (a Keycloak identity "
            "provider), or --workos-connection and --redirect-uri (a WorkOS connection). Fix: ssoprov adopt "
            "NAME --keycloak-url URL --realm REALM --alias ALIAS, or ssoprov adopt NAME --workos-connection "
            "conn_... --redirect-uri URL --tenant-id TENANT --client-id ID"
        )
    if bool(args.tenant_id or args.org_url) != bool(args.client_id):
        raise ProjectError(
            "--client-id goes with --tenant-id (Entra ID) or --org-url (Okta). Fix: give the app's tenant or "
            "org and its client ID, or neither for generic OIDC"
        )
    idp = None
    if args.tenant_id:
        idp = EntraSource(args.tenant_id, args.client_id)
    elif args.org_url:
        idp = OktaSource(args.org_url.rstrip("/"), args.client_id)
    engine = fleet_engine(project, args.backend, args.secrets_provider)
    source = (
        KeycloakSource(args.keycloak_url.rstrip("/"), args.realm, args.alias)
        if keycloak
        else WorkosSource(args.workos_connection, args.redirect_uri)
    )
    report = adopt(project, engine, args.name, source, idp)
    print("\n".join(report.lines()))
    return 0


def _adopt_parser(commands: argparse._SubParsersAction) -> None:
    adopt = commands.add_parser(
        "adopt",
        help="bring a connection made by hand under a new stack, changing nothing in it",
        description="Reads the broker's connection, writes stacks/Pulumi.<name>.yaml with the spec that "
        "reproduces it, records every object in the new stack's state as it is, and checks that a "
        "preview has nothing to change. With --list: the broker's connections no stack manages.",
    )
    adopt.add_argument("name", nargs="?", help="the new stack (organization) name")
    adopt.add_argument("--list", action="store_true", help="list the connections no stack manages")
    adopt.add_argument(
        "--workos", action="store_true", help="with --list: the WorkOS environment's connections"
    )
    adopt.add_argument("--keycloak-url", help="Keycloak: the broker's base URL")
    adopt.add_argument("--realm", help="Keycloak: the realm")
    adopt.add_argument("--alias", help="Keycloak: the identity provider to adopt")
    adopt.add_argument("--workos-connection", metavar="CONN_ID", help="WorkOS: the connection to adopt")
    adopt.add_argument(
        "--redirect-uri", help="WorkOS: the connection's redirect URI, as the dashboard shows it"
    )
    adopt.add_argument("--tenant-id", help="Entra ID: the tenant of the app the connection signs in with")
    adopt.add_argument("--org-url", help="Okta: the org of the app the connection signs in with")
    adopt.add_argument("--client-id", help="Entra ID or Okta: that app's client ID")
    adopt.add_argument("--project-dir", help="the folder with Pulumi.yaml (default: from the cwd)")
    adopt.add_argument("--backend", metavar="URL", help="state backend (default: as for `up`)")
    adopt.add_argument("--secrets-provider", default="passphrase")
    adopt.set_defaults(run=_adopt)


def _selection_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    group = parent.add_argument_group("selection (applied in order: changed files, names, exclusions, shard)")
    group.add_argument(
        "--stack",
        action="append",
        metavar="NAME_OR_GLOB",
        help="a stack name or glob such as 'acme-*' (repeatable; default: every stack file)",
    )
    group.add_argument(
        "--exclude",
        action="append",
        metavar="NAME_OR_GLOB",
        help="leave out the stacks matching this (repeatable), e.g. the ones another CI job runs",
    )
    group.add_argument(
        "--changed-since", metavar="REV", help="only stacks whose files changed since REV (git)"
    )
    group.add_argument(
        "--until", metavar="REV", help="with --changed-since: compare REV...UNTIL, not the work tree"
    )
    group.add_argument(
        "--shard", metavar="I/N", help="part I of N (1-based, round robin by name), for CI matrices"
    )
    group.add_argument(
        "--project-dir", help="the folder with Pulumi.yaml (default: found from the cwd upwards)"
    )
    engine = parent.add_argument_group("engine")
    engine.add_argument(
        "--backend",
        metavar="URL",
        help="state backend: file://, s3://, azblob://, gs://, https://api.pulumi.com "
        "(default: $PULUMI_BACKEND_URL, else .pulumi-state/ in the project)",
    )
    engine.add_argument(
        "--secrets-provider",
        default="passphrase",
        help="for stacks created on first use: passphrase (default), awskms://, azurekeyvault://, gcpkms://",
    )
    engine.add_argument("--parallel", type=int, default=4, metavar="N", help="stacks at a time (default 4)")
    return parent


def _report_options() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--json-report", metavar="FILE", help="also write a machine-readable report")
    parent.add_argument(
        "--progress",
        choices=("auto", "live", "plain"),
        default="auto",
        help="live lines on a terminal, plain lines otherwise (auto)",
    )
    return parent


def _new_parser(commands: argparse._SubParsersAction) -> None:
    new = commands.add_parser(
        "new",
        help="scaffold a stack file for a new organization",
        description="Write stacks/Pulumi.<name>.yaml from flags, validated first; never overwrites.",
    )
    new.add_argument("name", help="organization (and stack) name: lower-case letters, digits, dashes")
    new.add_argument("--display-name", help="the customer's name as users see it (default: from the name)")
    new.add_argument("--idp", required=True, choices=("entra", "microsoft", "okta", "oidc"))
    new.add_argument("--broker", required=True, choices=("keycloak", "workos"))
    entra = new.add_argument_group("entra / microsoft")
    entra.add_argument("--tenant-id", help="the tenant's GUID or verified domain")
    entra.add_argument("--multi-tenant", action="store_true")
    entra.add_argument("--assign-group", dest="assign_groups", action="append", default=[], metavar="GROUP")
    entra.add_argument("--assign-user", dest="assign_users", action="append", default=[], metavar="UPN")
    entra.add_argument(
        "--groups-claim", help="ApplicationGroup (default), SecurityGroup, All, DirectoryRole, None"
    )
    okta = new.add_argument_group("okta")
    okta.add_argument("--org-url", help="the customer's Okta org, e.g. https://acme.okta.com")
    okta.add_argument("--okta-group", dest="okta_groups", action="append", default=[], metavar="GROUP")
    oidc = new.add_argument_group("oidc (generic)")
    oidc.add_argument("--client-id")
    oidc.add_argument("--discovery-url", help="ends in /.well-known/openid-configuration")
    keycloak = new.add_argument_group("keycloak")
    keycloak.add_argument("--keycloak-url")
    keycloak.add_argument("--realm")
    keycloak.add_argument("--alias", help="identity provider alias (default: the organization name)")
    workos = new.add_argument_group("workos")
    workos.add_argument("--workos-organization-id", metavar="ORG_ID")
    workos.add_argument("--workos-redirect-uri", metavar="URL")
    workos.add_argument("--manual-steps-acknowledged", action="store_true")
    roles = new.add_argument_group("roles and secret policy")
    roles.add_argument("--map", dest="mappings", action="append", default=[], metavar="GROUP=ROLE")
    roles.add_argument("--default-role")
    roles.add_argument("--lifetime-days", type=int)
    roles.add_argument("--rotate-after-days", type=int)
    roles.add_argument("--rotate-before-expiry-days", type=int)
    new.add_argument("--stack-dir", help="where to write (default: the project's stack folder)")
    new.add_argument("--project-dir")
    new.add_argument("--print", action="store_true", help="print the file instead of writing it")
    new.set_defaults(run=_new)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ssoprov", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    validate = commands.add_parser("validate", help="check every stack file; no cloud calls")
    validate.add_argument("files", nargs="*", help="stack files (default: all in --stack-dir)")
    validate.add_argument("--stack-dir", default="stacks")
    validate.set_defaults(run=_validate)

    selection, report = _selection_options(), _report_options()
    for name, text in (
        ("preview", "preview the selected stacks (validated first)"),
        ("up", "apply the selected stacks (validated first); creates stacks on first use"),
    ):
        command = commands.add_parser(name, help=text, parents=[selection, report])
        command.add_argument(
            "--refresh",
            action="store_true",
            help="read every resource from its service first, so out-of-band changes are put back",
        )
        command.add_argument(
            "--full",
            action="store_true",
            help=(
                "run pulumi for every stack, also those settled since their last run (spec, program "
                "and state unchanged, nothing due), which are otherwise reported unchanged unrun"
            ),
        )
        command.set_defaults(run=_changes)
    rotate = commands.add_parser(
        "rotate", help="rotate the client secrets that are due, with `up`", parents=[selection, report]
    )
    rotate.add_argument("--as-of", metavar="YYYY-MM-DD", help="plan as of this date (today or later)")
    rotate.add_argument(
        "--dry-run", action="store_true", help="list the stacks that would rotate; change nothing"
    )
    rotate.add_argument(
        "--generic-oidc-key-registered",
        action="store_true",
        help="promote a realm's new client-assertion key although generic OIDC secretless organizations "
        "use it: their customers registered it (brokerKey.keys) or fetch brokerKey.jwksUrl",
    )
    rotate.set_defaults(run=_rotate)
    secrets = commands.add_parser("secrets", help="client-secret expiry report", parents=[selection])
    secrets.add_argument("--as-of", metavar="YYYY-MM-DD", help="days left and due-ness as of this date")
    secrets.add_argument("--json", action="store_true", help="print JSON instead of a table")
    secrets.add_argument("--json-report", metavar="FILE", help="also write the JSON report to a file")
    secrets.set_defaults(run=_secrets)
    page = commands.add_parser(
        "report",
        help="the fleet on one static HTML page: expiry timeline and last drift result",
        parents=[selection],
    )
    page.add_argument("--html", metavar="FILE", required=True, help="the page to write")
    page.add_argument(
        "--drift-report", metavar="FILE", help="the JSON report of the last `ssoprov drift --json-report`"
    )
    page.add_argument("--as-of", metavar="YYYY-MM-DD", help="the timeline's today")
    page.set_defaults(run=_report)
    drift = commands.add_parser(
        "drift",
        help="report out-of-band changes (refresh, preview only); exit 1 on drift",
        parents=[selection, report],
    )
    drift.set_defaults(run=_drift)
    recover = commands.add_parser(
        "recover",
        help="after a run that did not finish (killed engine, lost CI runner): unlock, refresh, up",
        description="Releases the lock of a run that is over (never one held by a process still "
        "running on this machine), reads every resource back while dropping pending creates "
        "(`pulumi refresh --clear-pending-creates`), then runs `up`, which removes client secrets "
        "the killed run left untracked.",
        parents=[selection, report],
    )
    recover.set_defaults(run=_recover)
    upgrade = commands.add_parser(
        "upgrade-state",
        help="once, after upgrading from ssoprov 0.1: rename the providers its stacks recorded",
        description="ssoprov 0.1 imported as `components`; each dynamic resource's state names its "
        "provider by module, and `refresh` and deletes load that recorded provider. This rewrites "
        "those names to `ssoprov` (one `pulumi stack export` and `stack import` per stack, secrets "
        "still encrypted); a stack with nothing to rename is left as it is.",
        parents=[selection, report],
    )
    upgrade.set_defaults(run=_upgrade_state)
    client_secret = commands.add_parser(
        "client-secret",
        help="print one stack's current client secret (to paste where no API can put it)",
        description="Reads the value from the stack's state (decrypted by the CLI) and prints it on "
        "stdout only. No stack output carries it, so it never reaches logs or engine events.",
    )
    client_secret.add_argument("stack", help="the stack (organization) name")
    client_secret.add_argument("--project-dir", help="the folder with Pulumi.yaml (default: from the cwd)")
    client_secret.add_argument("--backend", metavar="URL", help="state backend (default: as for `up`)")
    client_secret.set_defaults(run=_client_secret)
    _new_parser(commands)
    _adopt_parser(commands)
    verify = commands.add_parser(
        "verify-login",
        help="sign a user in through the broker (Keycloak or WorkOS) and report roles and claims",
        description="The password is read from SSOPROV_VERIFY_PASSWORD, or asked for on a terminal. "
        "Keycloak: through the realm's verification client (--prepare makes it). WorkOS: as an app "
        "does, with WORKOS_API_KEY, WORKOS_CLIENT_ID (and WORKOS_BASE_URL for another API host) and a "
        "registered redirect URI; the connection is broker.saml.connectionId (SAML) or the stack's "
        "recorded connectionId output (OIDC).",
    )
    verify.add_argument("stack_file", help="the organization's stack file (Pulumi.<org>.yaml)")
    verify.add_argument("--user", required=True, help="the login name at the identity provider")
    verify.add_argument(
        "--prepare",
        action="store_true",
        help="Keycloak: create the realm's verification client first (admin credentials)",
    )
    verify.add_argument(
        "--redirect-uri",
        metavar="URL",
        help="WorkOS: one of the redirect URIs on the dashboard's Redirects page (default: "
        "$WORKOS_REDIRECT_URI); never requested, the code is taken from WorkOS's redirect to it",
    )
    verify.add_argument(
        "--project-dir", help="WorkOS OIDC: the folder with Pulumi.yaml (default: from the file)"
    )
    verify.add_argument("--backend", metavar="URL", help="WorkOS OIDC: state backend (default: as for `up`)")
    verify.set_defaults(run=_verify_login)
    return parser


def _verify_login(args: argparse.Namespace) -> int:
    from ssoprov.errors import UsageError
    from ssoprov.spec.loading import load_stack_file

    spec, _, problems = load_stack_file(Path(args.stack_file))
    if spec is None or problems:
        for problem in problems:
            print(problem)
        return 1
    if spec.broker.kind == "workos":
        if args.prepare:
            raise UsageError(
                "--prepare makes Keycloak's verification client; WorkOS needs none. Fix: drop --prepare"
            )
        lines, signed_in = _workos_sign_in(args, spec)
    else:
        if args.redirect_uri or args.backend or args.project_dir:
            raise UsageError(
                "--redirect-uri, --project-dir and --backend are for WorkOS stacks; a Keycloak sign-in "
                "uses the realm's verification client. Fix: drop them"
            )
        lines, signed_in = _keycloak_sign_in(args, spec)
    print("\n".join(lines))
    overage = _overage(spec, args.user) if signed_in else None
    if overage:
        print(overage)
    return 0 if signed_in and not overage else 1


def _password(user: str) -> str:
    """SSOPROV_VERIFY_PASSWORD, else asked for on a terminal; UsageError when there is neither."""
    import getpass

    from ssoprov.errors import UsageError

    password = os.environ.get("SSOPROV_VERIFY_PASSWORD")
    if not password and not sys.stdin.isatty():
        raise UsageError(
            "SSOPROV_VERIFY_PASSWORD is unset or empty, and there is no terminal to ask on. "
            f"Fix: export SSOPROV_VERIFY_PASSWORD with {user}'s password at the identity provider"
        )
    return password or getpass.getpass(f"password for {user}: ")


def _keycloak_sign_in(args: argparse.Namespace, spec: OrganizationSpec) -> tuple[list[str], bool]:
    import asyncio

    from ssoprov.verify_login import prepare_realm, report_lines, verify_login

    password = _password(args.user)
    if args.prepare:
        asyncio.run(prepare_realm(spec.broker.url, spec.broker.realm))
    report = verify_login(
        spec.broker.url, spec.broker.realm, spec.broker_alias, login=args.user, password=password
    )
    return report_lines(report), report.signed_in


def _workos_sign_in(args: argparse.Namespace, spec: OrganizationSpec) -> tuple[list[str], bool]:
    from ssoprov.brokers.workos.verify_login import WorkosApp, profile_lines, verify_workos_login

    app = WorkosApp.from_environment(args.redirect_uri)
    connection_id = _workos_connection_id(args, spec)
    report = verify_workos_login(app, connection_id, login=args.user, password=_password(args.user))
    return profile_lines(report), report.signed_in


def _workos_connection_id(args: argparse.Namespace, spec: OrganizationSpec) -> str:
    """SAML: the dashboard's connection named in the spec; OIDC: the one the stack's last `up`
    recorded (output connectionId), read from the backend without decrypting anything."""
    from pulumi import automation as auto

    from ssoprov.adoption.owners import stack_outputs
    from ssoprov.errors import ProvisionerError, UsageError
    from ssoprov.fleet.engine import fleet_engine
    from ssoprov.fleet.operations import read_state
    from ssoprov.fleet.project import Project, stack_name
    from ssoprov.spec.models import WorkosBroker

    if isinstance(spec.broker, WorkosBroker) and spec.broker.saml is not None:
        return spec.broker.saml.connection_id
    if spec.identity_provider.kind == "microsoft":
        raise UsageError(
            f"{args.stack_file}: Microsoft OAuth through WorkOS has no connection to sign in through, and "
            "Microsoft's sign-in page needs a browser. Fix: sign in from your app with a browser"
        )
    stack_file = Path(args.stack_file)
    project = Project.at(Path(args.project_dir)) if args.project_dir else Project.find(stack_file.parent)
    stack = stack_name(stack_file)
    try:
        deployment = read_state(fleet_engine(project, args.backend), stack, auto.PulumiCommand())
    except auto.CommandError as exc:
        raise ProvisionerError(
            f"{args.stack_file}: reading the state of stack {stack} for its WorkOS connection: "
            f"{str(exc).strip().splitlines()[-1]}. Fix: check --project-dir and --backend, or run "
            f"`ssoprov up --stack {stack}` first"
        ) from None
    connection_id = stack_outputs(deployment).get("connectionId")
    if not connection_id:
        raise ProvisionerError(
            f"{args.stack_file}: stack {stack} records no WorkOS connection (output connectionId). "
            f"Fix: run `ssoprov up --stack {stack}` first"
        )
    return str(connection_id)


def _overage(spec: OrganizationSpec, login: str) -> str | None:
    """Entra's group overage for this user, named (Entra organizations only)."""
    if spec.identity_provider.kind != "entra":
        return None
    from ssoprov.entra.overage import overage_report

    return overage_report(spec, login)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from ssoprov.workspace import let_language_hosts_stop

    let_language_hosts_stop()
    from ssoprov.errors import ProvisionerError, UsageError
    from ssoprov.spec.problems import InvalidSpec

    try:
        return args.run(args)
    except InvalidSpec as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    except UsageError as exc:  # ProjectError among them
        print(f"ssoprov {args.command}: {exc}", file=sys.stderr)
        return 2
    except ProvisionerError as exc:
        print(f"ssoprov {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader went away (`ssoprov validate | head`): stop quietly, as a shell tool does, and
        # keep Python from reporting the unflushed rest at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except KeyboardInterrupt:
        # The running `pulumi` processes got the same signal and stop cleanly, releasing their locks.
        print(
            f"ssoprov {args.command}: interrupted; stacks not finished are left as pulumi left them",
            file=sys.stderr,
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())

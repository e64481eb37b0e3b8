"""`ssoprov rotate` for realm client-assertion keys: a new key for a Keycloak realm's secretless
organizations, with no sign-in failing.

Keycloak signs the client assertions of every identity provider of a realm with one key, so the
key is rotated for the realm, across all its secretless stacks, in this order:

1. stage: a new key that Keycloak publishes but does not sign with (assertion_key_rotation.py);
2. publish: `up` every secretless stack of the realm: each reads the realm's keys, and its Entra
   key credential or Okta JWK resource registers both keys (a generic OIDC stack's `brokerKey.keys`
   output lists the new key for the customer);
3. verify: every such stack's `up` succeeded and its state shows the new key trusted;
4. promote: Keycloak signs with the new key (an assertion signed just before still verifies: the
   apps trust both);
5. retire: delete the old key's provider, then `up` the stacks again so the apps drop it.

A key the IdP apps do not all trust is never promoted. Promotion is refused, naming the stacks and
the fix, when a deployed secretless stack of the realm is outside the run's selection, when a
stack's `up` failed or its state does not show the new key, and, unless the operator passes
`--generic-oidc-key-registered`, when the realm has generic OIDC secretless organizations: their
customers registered the broker's key themselves, either by the JWKS URL (which publishes the
staged key at once) or by uploading it, which no one here can check.

Every step is decided from what Keycloak holds (a staged key, a retiring key), so a rotation killed
anywhere resumes when `ssoprov rotate` runs again. `--dry-run` prints the plan and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pulumi import automation as auto

from ssoprov.brokers.keycloak import assertion_key_rotation as keycloak_keys
from ssoprov.brokers.keycloak.assertion_key import AssertionKey
from ssoprov.dynamic import run_async
from ssoprov.entra.key_credential import recorded_certificates
from ssoprov.errors import ProvisionerError
from ssoprov.fleet import operations
from ssoprov.fleet.operations import StackJob
from ssoprov.fleet.progress import Progress
from ssoprov.fleet.report import DUE, FAILED, NOT_DUE, ROTATED, SUCCEEDED, StackOutcome
from ssoprov.fleet.secrets import ASSERTION_KEY_TYPE_SUFFIX, SecretStatus, realm_key_status
from ssoprov.okta.app_jwk import recorded_jwks
from ssoprov.spec.models import KeycloakBroker, OrganizationSpec

GENERIC_FLAG = "--generic-oidc-key-registered"
ENTRA_TRUST_SUFFIX = ":KeyCredential"
OKTA_TRUST_SUFFIX = ":AppJwk"

RunJobs = Callable[[list[StackJob], Callable[[StackJob, Progress], StackOutcome]], list[StackOutcome]]


@dataclass(frozen=True, order=True)
class Realm:
    url: str
    name: str

    def __str__(self) -> str:
        return f"realm {self.name} at {self.url}"


def realm_of(spec: OrganizationSpec | None) -> Realm | None:
    """The Keycloak realm whose key a secretless organization trusts; None for any other."""
    if spec is None or not spec.client_authentication.secretless:
        return None
    if not isinstance(spec.broker, KeycloakBroker):
        return None
    return Realm(spec.broker.url.rstrip("/"), spec.broker.realm)


@dataclass
class RealmRotation:
    """One realm's rotation in a run: its selected stacks, and what stands in the way."""

    realm: Realm
    rows: list[tuple[StackJob, SecretStatus, OrganizationSpec]]
    outside: list[str]
    """Deployed secretless stacks of the realm that the run's selection leaves out."""

    @property
    def stacks(self) -> list[str]:
        return [job.stack for job, _, _ in self.rows]

    @property
    def generic(self) -> list[str]:
        return [job.stack for job, _, spec in self.rows if spec.identity_provider.kind == "oidc"]

    def due_reasons(self) -> list[str]:
        return [f"{job.stack}: {status.due_reason}" for job, status, _ in self.rows if status.due_reason]

    @property
    def key_due(self) -> bool:
        """A stack's policy wants a new key (not only a rotation finished)."""
        return any(status.due and not status.unfinished for _, status, _ in self.rows)


@dataclass(frozen=True)
class KeyRotationRun:
    """What the realm rotations of one `ssoprov rotate` share with the rest of the command."""

    say: Callable[[str], None]
    run_jobs: RunJobs
    command: auto.PulumiCommand
    moment: datetime
    dry_run: bool
    generic_registered: bool


def realm_rotations(
    rows: list[tuple[StackJob, SecretStatus, OrganizationSpec]],
    every: list[tuple[str, OrganizationSpec | None]],
    deployed: set[str],
) -> list[RealmRotation]:
    """The realms of the selected secretless stacks (`rows`); `every`: (stack, spec) of the whole
    project, whose deployed secretless stacks of the same realm must be selected too."""
    selected = {job.stack for job, _, _ in rows}
    found: dict[Realm, RealmRotation] = {}
    for row in rows:
        realm = realm_of(row[2])
        if realm is not None:
            found.setdefault(realm, RealmRotation(realm, [], [])).rows.append(row)
    for stack, spec in every:
        realm = realm_of(spec)
        if realm in found and stack not in selected and stack in deployed:
            found[realm].outside.append(stack)
    return [found[realm] for realm in sorted(found)]


def rotate_realm(rotation: RealmRotation, run: KeyRotationRun) -> list[StackOutcome]:
    """Plan, and unless a dry run, carry out the rotation of one realm's key; an outcome per stack.
    A Keycloak error fails the realm's stacks (the next run resumes), never the other realms."""
    try:
        return _rotate_realm(rotation, run)
    except ProvisionerError as exc:
        return _refused(rotation, run, f"{exc} (the next `ssoprov rotate` resumes from what Keycloak holds)")


def _rotate_realm(rotation: RealmRotation, run: KeyRotationRun) -> list[StackOutcome]:
    realm = rotation.realm
    keys = run_async(keycloak_keys.read(realm.url, realm.name))
    reasons = rotation.due_reasons()
    if not (keys.staged or keys.retiring or reasons):
        return _outcomes(rotation, NOT_DUE, run.moment)
    plan = _plan(rotation, keys)
    run.say(f"  {realm}: {'; '.join(reasons) or 'a rotation is under way in Keycloak'}")
    run.say(f"    plan: {'; '.join(plan)}")
    if run.dry_run:
        return _outcomes(rotation, DUE, run.moment, plan=plan)
    if rotation.outside:
        return _refused(
            rotation,
            run,
            f"the secretless stack(s) {', '.join(rotation.outside)} of {realm} are not in this run's "
            "selection, and the realm's key signs their assertions too. Fix: run `ssoprov rotate` with a "
            "selection that includes them (or none)",
        )
    steps: dict[str, StackOutcome] = {}
    if not keys.retiring and (keys.staged or rotation.key_due):
        staged = keys.staged[0] if keys.staged else run_async(keycloak_keys.stage(realm.url, realm.name))
        run.say(f"  {realm}: staged key {staged.kid}; publishing it to {len(rotation.rows)} stack(s)")
        steps = _up_all(rotation, run, "ssoprov rotate: trust the staged realm key")
        problems = _not_trusting(rotation, run, steps, staged)
        if problems:
            return _refused(rotation, run, "; ".join(problems), steps)
        if rotation.generic and not run.generic_registered:
            return _refused(
                rotation,
                run,
                f"the generic OIDC stack(s) {', '.join(rotation.generic)} of {realm} trust the broker's key "
                f"as their customers registered it, which ssoprov cannot check. Fix: have each customer "
                f"register key {staged.kid} (stack output brokerKey.keys) or fetch brokerKey.jwksUrl, then "
                f"run `ssoprov rotate {GENERIC_FLAG}`",
                steps,
            )
        run_async(keycloak_keys.promote(realm.url, realm.name, staged))
        run.say(f"  {realm}: Keycloak signs with key {staged.kid} now")
    retired = run_async(keycloak_keys.retire(realm.url, realm.name))
    run.say(f"  {realm}: deleted the old key(s) {', '.join(k.kid for k in retired) or '(none left)'}")
    finish = _up_all(rotation, run, "ssoprov rotate: drop the retired realm key")
    signer = run_async(keycloak_keys.read(realm.url, realm.name)).signer
    outcomes = []
    for job, before, spec in rotation.rows:
        outcome = finish[job.stack]
        if job.stack in steps:
            outcome.steps = steps[job.stack].steps + outcome.steps
        state = operations.read_state(job.engine, job.stack, run.command)
        if outcome.status == SUCCEEDED:
            left = trusted_kids(state)
            if signer is not None and all(kids == [signer.kid] for kids in left.values()):
                outcome.status = ROTATED
            else:
                outcome.status = FAILED
                outcome.errors.append(
                    f"after the rotation the stack trusts {left} instead of key "
                    f"{signer.kid if signer else '?'} alone. Fix: run `ssoprov rotate` again"
                )
        outcome.details = {
            "secret": realm_key_status(job.stack, spec, state, run.moment).to_json(run.moment),
            "previous": before.to_json(run.moment),
        }
        outcomes.append(outcome)
    return outcomes


def _plan(rotation: RealmRotation, keys: keycloak_keys.RealmKeys) -> list[str]:
    stacks = ", ".join(rotation.stacks)
    old = keys.signer.kid if keys.signer else "?"
    finish = [f"up {stacks} (the apps drop the old key)"]
    if keys.retiring:
        return [f"delete the old key(s) {', '.join(k.kid for k in keys.retiring)}", *finish]
    if not (keys.staged or rotation.key_due):
        return finish  # Keycloak finished; some stacks' last `up` did not
    first = f"publish the staged key {keys.staged[0].kid}" if keys.staged else "stage a new key"
    return [
        first,
        f"up {stacks} (the apps trust both keys)",
        "check every stack trusts the new key",
        "promote it (Keycloak signs with it)",
        f"delete the old key {old}",
        *finish,
    ]


def _up_all(rotation: RealmRotation, run: KeyRotationRun, message: str) -> dict[str, StackOutcome]:
    jobs = [job for job, _, _ in rotation.rows]
    done = run.run_jobs(jobs, lambda job, progress: operations.up(job, progress, message=message))
    return {outcome.stack: outcome for outcome in done}


def _not_trusting(
    rotation: RealmRotation, run: KeyRotationRun, ups: Mapping[str, StackOutcome], staged: AssertionKey
) -> list[str]:
    """Why promoting `staged` is not safe yet: stacks whose `up` failed or whose state does not
    show the key trusted."""
    problems = []
    for job, _, _ in rotation.rows:
        outcome = ups[job.stack]
        if outcome.status != SUCCEEDED:
            problems.append(
                f"stack {job.stack}: its `up` failed ({outcome.note() or outcome.status}). Fix: repair it, "
                "then run `ssoprov rotate` again (the staged key is kept)"
            )
            continue
        trusted = trusted_kids(operations.read_state(job.engine, job.stack, run.command))
        lacking = [name for name, kids in trusted.items() if staged.kid not in kids]
        if lacking or not trusted:
            problems.append(
                f"stack {job.stack}: its state does not show key {staged.kid} trusted "
                f"({', '.join(lacking) or 'no realm key recorded'}). "
                f"Fix: run `ssoprov up --stack {job.stack}`, then `ssoprov rotate` again"
            )
    return problems


def trusted_kids(deployment: Mapping[str, Any]) -> dict[str, list[str]]:
    """Resource name -> the kids it trusts, for the realm-key resource and each IdP app's trust
    resource (Entra key credential: by certificate; Okta JWK) in a stack's state."""
    kids_of_certificate: dict[str, str] = {}
    for resource in deployment.get("resources") or []:
        outs = resource.get("outputs") or {}
        if str(resource.get("type", "")).endswith(ASSERTION_KEY_TYPE_SUFFIX):
            pairs = zip(outs.get("trusted_certificates") or [], outs.get("trusted_kids") or [], strict=False)
            kids_of_certificate.update(pairs)
    found: dict[str, list[str]] = {}
    for resource in deployment.get("resources") or []:
        if resource.get("delete"):
            continue
        kind, outs = str(resource.get("type", "")), resource.get("outputs") or {}
        name = str(resource.get("urn", "")).rsplit("::", 1)[-1]
        if kind.endswith(ASSERTION_KEY_TYPE_SUFFIX):
            found[name] = list(outs.get("trusted_kids") or [])
        elif kind.endswith(ENTRA_TRUST_SUFFIX):
            found[name] = [kids_of_certificate.get(c, "?") for c in recorded_certificates(outs)]
        elif kind.endswith(OKTA_TRUST_SUFFIX):
            found[name] = [str(jwk.get("kid")) for jwk in recorded_jwks(outs)]
    return found


def _outcomes(
    rotation: RealmRotation, status: str, moment: datetime, plan: list[str] | None = None
) -> list[StackOutcome]:
    outcomes = []
    for job, secret, _ in rotation.rows:
        details: dict[str, Any] = {"secret": secret.to_json(moment)}
        if plan:
            details["plan"] = plan
        outcomes.append(StackOutcome(job.stack, job.file, status, job.organization, details=details))
    return outcomes


def _refused(
    rotation: RealmRotation, run: KeyRotationRun, why: str, ups: Mapping[str, StackOutcome] | None = None
) -> list[StackOutcome]:
    """Every stack of the realm failed with `why`: the realm's key is not (fully) rotated."""
    run.say(f"  {rotation.realm}: realm key not rotated: {why}")
    outcomes = []
    for job, secret, _ in rotation.rows:
        done = (ups or {}).get(job.stack)
        outcome = StackOutcome(
            job.stack,
            job.file,
            FAILED,
            job.organization,
            changes=done.changes if done else None,
            steps=done.steps if done else [],
            errors=[*(done.errors if done else []), f"realm key not rotated: {why}"],
            details={"secret": secret.to_json(run.moment)},
        )
        outcomes.append(outcome)
    return outcomes

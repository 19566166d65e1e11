"""What ``publish`` and ``apply`` do around a deployment: the record, promotion proof, rollback.

Kept apart from the two commands so they only call hooks: where a deployment's commit comes
from, ``--require-live-in ENV`` (checked before anything is written, with reads only),
``--to-commit X`` (the tree of X, plus deletes of what the live commit has and X lacks), and
writing the deployment record (``apiops_core.deployments``) once the apply has finished —
``partial`` or ``failed`` when not everything landed, and nothing at all when the instance
already records that this very tree is live (a second publish stays at zero writes).
"""

from __future__ import annotations

import argparse
import subprocess
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..deployments import (Deployment, Records, build_id, describe, file_digest, plan_digest, read_records,
                           rendered_digest, run_url, utc_now, write_record)
from ..errors import ApiOpsError, ConfigError, GuardError
from ..model import Plan

if TYPE_CHECKING:  # pragma: no cover
    from ..apply import ApplyResult
    from ._context import Context
    from ..publish import Desired

__all__ = ["add_publish_arguments", "desired_revision", "Deployer", "artifacts_commit"]


def add_publish_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to-commit", metavar="REV",
                        help="roll back (or forward) to the tree of this commit: puts from the live instance, deletes "
                             "of what the live commit has and REV lacks (behind --max-deletions, default 0)")
    parser.add_argument("--require-live-in", metavar="ENV",
                        help="refuse, before any write, unless the commit being published is live in this environment "
                             "(an environment file or a name under --environments-folder)")
    parser.add_argument("--environments-folder", dest="environments_folder", metavar="FOLDER",
                        help="where environment names are looked up (default environments)")


def desired_revision(args: argparse.Namespace) -> str | None:
    """The commit ``load_desired`` reads (None: the working folder)."""
    to_commit = getattr(args, "to_commit", None)
    if to_commit and getattr(args, "since", None):
        raise ConfigError("--to-commit and --since cannot be combined: a rollback compares with the live instance")
    return to_commit or ("HEAD" if getattr(args, "since", None) else None)


def _git(path: Path, *argv: str) -> str | None:
    completed = subprocess.run(["git", "-C", str(path), *argv], capture_output=True, text=True)
    return completed.stdout.strip() if completed.returncode == 0 else None


def artifacts_commit(artifacts: str) -> tuple[str | None, bool]:
    """(HEAD commit, uncommitted changes under the artifacts folder) — (None, False) outside Git."""
    path = Path(artifacts)
    head = _git(path, "rev-parse", "--verify", "--quiet", "HEAD")
    if not head:
        return None, False
    status = _git(path, "status", "--porcelain", "--untracked-files=all", "--", ".")
    return head, bool(status)


def _source_digest(artifacts: str, commit: str | None, dirty: bool) -> str:
    """Digest of the tree before overrides and tokens: equal wherever the same tree was published."""
    from ..artifacts import load_tree
    from ..treesource import DirectorySource, GitCommitSource
    from ..publish import git_root as _git_root

    if commit and not dirty:
        repo, subdir = _git_root(Path(artifacts))
        return rendered_digest(load_tree(GitCommitSource(repo, commit, subdir)))
    return rendered_digest(load_tree(DirectorySource(Path(artifacts))))


@dataclass
class Deployer:
    """One publish's record keeping (see the module docstring)."""

    args: argparse.Namespace
    context: "Context"
    desired: "Desired"
    kind: str
    commit: str | None
    dirty: bool
    verified_in: str = ""
    before: Records = field(default_factory=Records)

    @classmethod
    def start(cls, args: argparse.Namespace, context: "Context", desired: "Desired", *, kind: str = "publish") -> "Deployer":
        """Work out the commit being deployed and check ``--require-live-in`` (reads only)."""
        commit: str | None
        if desired.commit:
            commit, dirty = desired.commit, False
        else:
            commit, dirty = artifacts_commit(args.artifacts)
        if getattr(args, "to_commit", None):
            kind = "rollback"
        deployer = cls(args, context, desired, kind, commit, dirty)
        required = getattr(args, "require_live_in", None)
        if required:
            deployer.verified_in = deployer._require_live_in(required)
        return deployer

    def _require_live_in(self, spec: str) -> str:
        from ..environments import resolve_environment

        environment = resolve_environment(spec, self.context.environ, getattr(self.args, "environments_folder", None))
        if not self.commit:
            raise GuardError(f"--require-live-in {environment.name}: the artifacts folder is not in Git, so no commit "
                             "can be compared; nothing was published")
        if self.dirty:
            raise GuardError(f"--require-live-in {environment.name}: the artifacts folder has uncommitted changes, "
                             "which no environment can be running; nothing was published")
        with environment.make_arm(self.context) as arm:
            records = read_records(arm)
        live = records.live
        latest = records.latest
        if live is None or live.commit != self.commit or live.dirty or (latest is not None and not latest.live):
            shown = describe(latest) if latest is not None and not latest.live else describe(live)
            raise GuardError(
                f"--require-live-in {environment.name}: commit {self.commit[:12]} is not live there "
                f"({environment.name} runs {shown}); publish it to {environment.name} first. Nothing was published."
            )
        self.context.log.info("%s runs %s: promotion allowed", environment.name, describe(live))
        return environment.name

    # -- on the target -----------------------------------------------------------------------
    def read_before(self, arm: Any) -> Records:
        try:
            self.before = read_records(arm)
        except ApiOpsError as error:  # a record is never a reason not to publish
            self.context.log.warning("warning: could not read the deployment record: %s", error)
            self.before = Records()
        return self.before

    def rollback_deletes(self, plan: Plan) -> Plan:
        """With ``--to-commit``: add deletes of what the live commit's tree has and the target tree lacks."""
        if self.kind != "rollback":
            return plan
        from ..artifacts import key_for_path, load_tree
        from ..gitdiff import changed_paths
        from ..plan import plan_since
        from ..treesource import GitCommitSource
        from ..publish import git_root as _git_root

        live = self.before.live
        if live is None or not live.commit or live.commit == self.commit:
            note = ("no deployment record names the live commit: nothing is deleted (use --prune to delete what "
                    "the artifacts lack)") if live is None or not live.commit else None
            return replace(plan, warnings=plan.warnings + ((note,) if note else ()))
        repo, subdir = _git_root(Path(self.args.artifacts))
        prefix = f"{subdir}/" if subdir else ""
        keys = []
        for change in changed_paths(repo, self.commit or "HEAD", live.commit):
            for path in (change.path, change.old_path):
                if path and path.startswith(prefix):
                    key = key_for_path(path[len(prefix):])
                    if key is not None:
                        keys.append(key)
        previous = load_tree(GitCommitSource(repo, live.commit, subdir))
        max_deletions = self.args.max_deletions if self.args.max_deletions is not None else 0
        gone = plan_since(self.desired.state, previous, keys, creator=False, terminator=True, max_deletions=None,
                          target=plan.target, since=live.commit, until=self.commit or "HEAD")
        known = {a.key for a in plan.deletes}
        deletes = plan.deletes + tuple(a for a in gone.deletes if a.key not in known)
        from ..plan import guard_deletions

        guard_deletions(deletes, max_deletions)
        return replace(plan, deletes=deletes)

    def rollback_plan(self, arm: Any, plan: Plan, *, terminator: bool = True) -> Plan:
        """``plan --to-commit``: the rollback's deletes (Terminator) and a mark so ``apply`` records a rollback."""
        self.read_before(arm)
        if terminator:
            plan = self.rollback_deletes(plan)
        live = self.before.live
        return replace(plan, target={**plan.target, "rollbackFrom": live.commit if live and live.commit else ""})

    def record(self, arm: Any, plan: Plan, result: "ApplyResult | None") -> Deployment | None:
        """Write the deployment record (None when there is nothing to record or it is already there)."""
        if not self.commit:
            self.context.log.info("the artifacts folder is not in Git: no deployment record written")
            return None
        rendered = rendered_digest(self.desired.state)
        writes = result.summary()["writes"] if result is not None else 0
        if result is None or result.ok:
            outcome = "ok"
        else:
            outcome = "partial" if writes else "failed"
        latest = self.before.latest
        unchanged = result is None or (result.ok and writes == 0)
        if (unchanged and latest is not None and latest.live and latest.commit == self.commit
                and latest.rendered == rendered and latest.dirty == self.dirty
                and self.verified_in in ("", latest.verified_in)):
            return None  # nothing changed and the instance already says so: zero writes
        overrides_text = Path(self.desired_overrides).read_bytes() if self.desired_overrides else None
        record = Deployment(
            commit=self.commit, result=outcome, at=utc_now(), kind=self.kind, plan=plan_digest(plan),
            rendered=rendered, source=_source_digest(self.args.artifacts, self.commit, self.dirty),
            overrides=file_digest(overrides_text), resources=len(self.desired.state), writes=writes,
            dirty=self.dirty, previous=self._previous(plan),
            verified_in=self.verified_in, build=build_id(self.context.environ),
        )
        try:
            write_record(arm, record, run_url(self.context.environ))
        except ApiOpsError as error:
            self.context.log.warning("warning: the deployment record could not be written (%s); the instance does "
                                     "not record what is live", error)
            return None
        before = self.before.live
        self.context.stdout(f"Live commit: {describe(before)} -> {describe(record)}")
        markdown = getattr(self.args, "markdown", None)
        if markdown and Path(markdown).is_file():
            with open(markdown, "a", encoding="utf-8") as handle:
                handle.write(summary_markdown(arm.service_name, before, record))
        return record

    def _previous(self, plan: Plan) -> str:
        """For a rollback, the commit that was live before (a saved plan names the one it saw)."""
        if self.kind != "rollback":
            return ""
        saved = plan.target.get("rollbackFrom")
        if saved:
            return str(saved)
        return self.before.live.commit if self.before.live else ""

    @property
    def desired_overrides(self) -> str | None:
        return getattr(self.args, "overrides", None)


def summary_markdown(service: str, before: Deployment | None, after: Deployment) -> str:
    """The run summary's before/after lines for one instance."""
    verified = f" (live in {after.verified_in} before)" if after.verified_in else ""
    return (
        f"\n### Live commit in `{service}`\n\n"
        f"| | commit | result | when |\n|---|---|---|---|\n"
        f"| before | {(before.commit[:12] if before and before.commit else '—')} | {before.result if before else '—'} "
        f"| {before.at if before else '—'} |\n"
        f"| after | {after.commit[:12]}{'+local changes' if after.dirty else ''} | {after.kind} {after.result}{verified} "
        f"| {after.at} |\n"
    )

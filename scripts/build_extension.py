"""Build the Azure DevOps extension (.vsix) in one reproducible command.

    python scripts/build_extension.py --publisher contoso --version 1.2.3 \
        --repository-url https://github.com/contoso/apiops     # a Marketplace build
    python scripts/build_extension.py --dev                   # a private build, no links
    python scripts/build_extension.py --dev --stage-only

Identity and links are build options, never edited into the sources: ``--publisher`` (your
Marketplace publisher id), ``--extension-id`` (default ``apiops-tasks``), ``--version``
(default: pyproject's) and ``--repository-url``, from which every link is derived (repository,
support, get started, license, each task's help). The sources carry no placeholder links, and
the repository has no canonical remote, so ``--repository-url`` is required unless ``--dev``.

Steps, and why:
1. ``pip wheel --no-deps . -w build/wheel``: the apiops wheel every task folder ships (the
   toolchain is built from it on the agent).
2. ``constraints.txt``: the exact versions of apiops' dependencies in the build environment
   (the versions the tests ran with), so agents install those and not whatever is newest.
3. Stage ``build/extension/``: manifest, overview, LICENSE, CHANGELOG, images and, per task
   folder, task.json, icon.png, entry.json, the shared shim ``tasks/_shim/index.js``, the
   wheel and constraints. The extension version (``--version``, else pyproject.toml's) is
   stamped into the manifest and every task.json (task Major stays the folder's; see
   ``task_version``); publisher, extension id and version also go into every entry.json.
   Each task folder gets its own copy of the wheel (~0.3 MB): the agent downloads and
   extracts every task folder on its own, so task folders cannot share files.
4. ``tfx extension create --manifest-globs vss-extension.json --output-path dist/`` with the
   pinned tfx-cli of package-lock.json (``npm ci`` first; the same binary ``npx tfx`` runs),
   from the staged folder.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlparse

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "tasks" / "_shim" / "index.js"
PROJECT_FILES = ("overview.md", "LICENSE", "CHANGELOG.md")
DEFAULT_EXTENSION_ID = "apiops-tasks"
DEFAULT_PUBLISHER = "apiops"
#: Marketplace publisher and extension ids: letters, digits, dashes (and, for ids, dots/underscores)
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
#: hosts that only ever stand for "fill me in"
_PLACEHOLDER_HOST = re.compile(r"(^|\.)(example\.(com|org|net)|[^.]+\.(invalid|example|test|localhost)|localhost)$")


def project_version(root: Path = ROOT) -> str:
    with open(root / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def task_folders(root: Path = ROOT) -> list[Path]:
    """Every ``tasks/<Name>/<Name>V<major>`` folder (the shim folder is not a task)."""
    return sorted(p.parent for p in (root / "tasks").glob("*/*V*/task.json"))


def split_version(version: str) -> tuple[int, int, int]:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        raise SystemExit(f"version {version!r} is not major.minor.patch")
    return int(match[1]), int(match[2]), int(match[3])


def task_version(task_major: int, package_version: str) -> dict[str, int]:
    """A task's version from the package's: Major is the task folder's own (V1 -> 1).

    Agents cache a task by id and version and only ever move *up* within a major, so the
    stamped version must grow with every package release, including package major bumps:
    Minor = package major * 100 + package minor, Patch = package patch
    (0.1.0 -> 1.1.0, 0.1.1 -> 1.1.1, 1.0.0 -> 1.100.0, 2.3.4 -> 1.203.4).
    """
    major, minor, patch = split_version(package_version)
    if minor >= 100:
        raise SystemExit(f"package minor version {minor} does not fit the task version scheme (< 100)")
    return {"Major": task_major, "Minor": major * 100 + minor, "Patch": patch}


def build_wheel(out_dir: Path) -> Path:
    # setuptools reuses build/lib: a module deleted from the sources would survive there and
    # end up in the wheel, so start from a clean slate.
    shutil.rmtree(ROOT / "build" / "lib", ignore_errors=True)
    for stale in (ROOT / "build").glob("bdist.*"):
        shutil.rmtree(stale, ignore_errors=True)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-input", str(ROOT), "-w", str(out_dir)],
        check=True, stdout=sys.stderr,
    )
    wheels = sorted(out_dir.glob("apiops_core-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one apiops wheel in {out_dir}, found {wheels}")
    return wheels[0]


def pinned_constraints(distribution: str = "apiops-core") -> list[str]:
    """``name==version`` for the dependency closure of apiops as installed here."""
    try:
        from packaging.requirements import Requirement
    except ImportError:  # a bare build environment: pip's vendored copy parses requirements the same way
        from pip._vendor.packaging.requirements import Requirement  # type: ignore[no-redef]

    seen: dict[str, str] = {}
    pending = list(metadata.requires(distribution) or [])
    while pending:
        requirement = Requirement(pending.pop())
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = requirement.name.lower().replace("_", "-")
        if name in seen:
            continue
        try:
            seen[name] = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"dependency {requirement.name} is not installed in the build environment") from None
        pending.extend(metadata.requires(requirement.name) or [])
    return [f"{name}=={version}" for name, version in sorted(seen.items())]


def check_id(kind: str, value: str) -> str:
    if not _ID.match(value):
        raise SystemExit(f"{kind} {value!r} is not a Marketplace id (letters, digits, '-', '.', '_'; at most 63)")
    return value


def repository_links(url: str, branch: str = "main") -> dict[str, str]:
    """Every link of the listing and the tasks, from the repository's web address.

    Azure Repos (``.../_git/<repo>``) addresses files as ``?path=/<file>&version=GB<branch>``
    and has no issue tracker (support goes to the setup guide's troubleshooting); GitHub,
    GitLab and similar hosts use ``/blob/<branch>/<file>`` and ``/issues``.
    """
    parsed = urlparse(url)
    host = (parsed.hostname or "").lower()
    if parsed.scheme != "https" or not host or _PLACEHOLDER_HOST.search(host):
        raise SystemExit(f"--repository-url {url!r} must be the https address of the project's repository")
    base = url.rstrip("/")
    if base.endswith(".git"):
        base = base[: -len(".git")]
    if "/_git/" in base:
        def file(path: str, anchor: str = "") -> str:
            return f"{base}?path=/{path}&version=GB{branch}" + (f"&anchor={anchor}" if anchor else "")
        support = file("docs/SETUP.md", "troubleshooting")
    else:
        def file(path: str, anchor: str = "") -> str:
            return f"{base}/blob/{branch}/{path}" + (f"#{anchor}" if anchor else "")
        support = f"{base}/issues"
    return {
        "repository": base,
        "support": support,
        "getstarted": file("docs/SETUP.md"),
        "license": file("LICENSE"),
        "learn": file("README.md"),
        "changelog": file("CHANGELOG.md"),
        "taskHelp": file("overview.md", "tasks-inputs-and-outputs"),
    }


class Identity(NamedTuple):
    """Who publishes the extension and under which id and version (build options).

    A NamedTuple, not a dataclass: tests load this script by file path, outside sys.modules.
    """

    publisher: str = DEFAULT_PUBLISHER
    extension_id: str = DEFAULT_EXTENSION_ID
    version: str = ""  # empty: pyproject's
    repository_url: str | None = None  # None: a private build without links
    branch: str = "main"


def build_manifest(identity: Identity, version: str) -> dict:
    """vss-extension.json with the identity, version and links of this build."""
    manifest = json.loads((ROOT / "vss-extension.json").read_text(encoding="utf-8"))
    manifest["publisher"] = check_id("publisher", identity.publisher)
    manifest["id"] = check_id("extension id", identity.extension_id)
    manifest["version"] = version
    manifest.pop("links", None)
    manifest.pop("repository", None)
    if identity.repository_url:
        links = repository_links(identity.repository_url, identity.branch)
        manifest["links"] = {key: {"uri": links[key]} for key in ("getstarted", "learn", "license", "support")}
        manifest["repository"] = {"type": "git", "uri": links["repository"]}
    return manifest


def stage(out_dir: Path, wheel: Path, constraints: list[str], version: str, identity: Identity | None = None) -> Path:
    """Lay out the extension exactly as it is packaged: identity, versions and links stamped."""
    identity = identity or Identity()
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    major, minor, patch = split_version(version)
    version = f"{major}.{minor}.{patch}"
    manifest = build_manifest(identity, version)
    links = repository_links(identity.repository_url, identity.branch) if identity.repository_url else None
    (out_dir / "vss-extension.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, out_dir / name)
    shutil.copytree(ROOT / "images", out_dir / "images")
    stamp = {"publisher": manifest["publisher"], "id": manifest["id"], "version": version}
    for folder in task_folders():
        target = out_dir / folder.relative_to(ROOT)
        target.mkdir(parents=True)
        task = json.loads((folder / "task.json").read_text(encoding="utf-8-sig"))
        task["version"] = task_version(task["version"]["Major"], version)
        task["helpMarkDown"] = task["helpMarkDown"].rstrip() + f" (extension {stamp['publisher']}.{stamp['id']} {version})"
        if links:
            task["helpUrl"] = links["taskHelp"]
            task["releaseNotes"] = f"[Release notes]({links['changelog']})"
        (target / "task.json").write_text(json.dumps(task, indent=2) + "\n", encoding="utf-8")
        shutil.copy2(folder / "icon.png", target / "icon.png")
        entry = json.loads((folder / "entry.json").read_text(encoding="utf-8"))
        entry["extension"] = stamp
        (target / "entry.json").write_text(json.dumps(entry, indent=2) + "\n", encoding="utf-8")
        shutil.copy2(SHIM, target / "index.js")
        shutil.copy2(wheel, target / wheel.name)
        (target / "constraints.txt").write_text("\n".join(constraints) + "\n", encoding="utf-8")
    return out_dir


def tfx_command() -> list[str]:
    """The pinned tfx of package-lock.json (what ``npx tfx`` resolves to in the repository).

    Called by path rather than through npx so the staged folder may live anywhere (tests stage
    into a temporary folder, outside the reach of npx's node_modules lookup).
    """
    local = ROOT / "node_modules" / ".bin" / ("tfx.cmd" if os.name == "nt" else "tfx")
    if not local.exists():
        raise SystemExit("tfx-cli is not installed: run `npm ci` in the repository root first (it is pinned in package-lock.json)")
    return [str(local)]


def package(staged: Path, dist: Path, *, allow_warnings: bool = False) -> Path:
    dist.mkdir(parents=True, exist_ok=True)
    before = set(dist.glob("*.vsix"))
    command = [*tfx_command(), "extension", "create", "--manifest-globs", "vss-extension.json",
               "--output-path", str(dist), "--no-prompt"]
    done = subprocess.run(command, cwd=staged, shell=(os.name == "nt"), capture_output=True, text=True,
                          encoding="utf-8", errors="replace")
    sys.stderr.write(done.stdout + done.stderr)
    if done.returncode != 0:
        raise SystemExit(f"tfx extension create failed with exit code {done.returncode}")
    warnings = [line for line in (done.stdout + done.stderr).splitlines() if "warning" in line.lower()]
    if warnings and not allow_warnings:
        # tfx only warns about broken task.json files ("in the future ... treated as an error")
        raise SystemExit("tfx reported warnings (pass --allow-tfx-warnings to package anyway):\n" + "\n".join(warnings))
    manifest = json.loads((staged / "vss-extension.json").read_text(encoding="utf-8"))
    vsix = dist / f"{manifest['publisher']}.{manifest['id']}-{manifest['version']}.vsix"
    if not vsix.exists():
        created = set(dist.glob("*.vsix")) - before
        raise SystemExit(f"tfx did not produce {vsix.name} (new files: {sorted(map(str, created))})")
    return vsix


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--output-path", type=Path, default=ROOT / "dist")
    parser.add_argument("--stage-only", action="store_true", help="stop after staging build/extension")
    parser.add_argument("--allow-tfx-warnings", action="store_true", help="package even if tfx warns")
    parser.add_argument("--publisher", default=DEFAULT_PUBLISHER, help="Marketplace publisher id (default %(default)s)")
    parser.add_argument("--extension-id", default=DEFAULT_EXTENSION_ID, help="extension id (default %(default)s)")
    parser.add_argument("--version", help="extension version major.minor.patch (default: pyproject.toml's); "
                        "every task's version is derived from it")
    parser.add_argument("--repository-url", help="https address of the repository the links point at "
                        "(required unless --dev)")
    parser.add_argument("--branch", default="main", help="branch the file links point at (default %(default)s)")
    parser.add_argument("--dev", action="store_true", help="a private build without Marketplace links")
    args = parser.parse_args(argv)
    if not args.repository_url and not args.dev:
        parser.error("--repository-url is required for a Marketplace build (or pass --dev for a private build without links)")
    version = args.version or project_version()
    split_version(version)
    identity = Identity(args.publisher, args.extension_id, version, args.repository_url, args.branch)
    build_manifest(identity, version)  # bad ids or links fail before the slow steps
    wheel = build_wheel(args.build_dir / "wheel")
    staged = stage(args.build_dir / "extension", wheel, pinned_constraints(), version, identity)
    print(f"staged {staged}", file=sys.stderr)
    if args.stage_only:
        print(staged)
        return 0
    vsix = package(staged, args.output_path, allow_warnings=args.allow_tfx_warnings)
    print(vsix)
    return 0


if __name__ == "__main__":
    sys.exit(main())

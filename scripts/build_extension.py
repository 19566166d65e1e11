"""Build the Azure DevOps extension (.vsix) in one reproducible command.

    python scripts/build_extension.py            # wheel -> stage -> tfx -> dist/*.vsix
    python scripts/build_extension.py --stage-only

Steps, and why:
1. ``pip wheel --no-deps . -w build/wheel``: the apiops wheel every task folder ships (the
   toolchain is built from it on the agent).
2. ``constraints.txt``: the exact versions of apiops' dependencies in the build environment
   (the versions the tests ran with), so agents install those and not whatever is newest.
3. Stage ``build/extension/``: manifest, overview, images and, per task folder, task.json,
   icon.png, entry.json, the shared shim ``tasks/_shim/index.js``, the wheel and constraints.
   The single source of the version is pyproject.toml: it is stamped into the manifest and
   every task.json here (task Major stays the folder's; see ``task_version``).
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

try:
    import tomllib
except ImportError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "tasks" / "_shim" / "index.js"
PROJECT_FILES = ("vss-extension.json", "overview.md")


def project_version(root: Path = ROOT) -> str:
    with open(root / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def task_folders(root: Path = ROOT) -> list[Path]:
    """Every ``tasks/<Name>/<Name>V<major>`` folder (the shim folder is not a task)."""
    return sorted(p.parent for p in (root / "tasks").glob("*/*V*/task.json"))


def split_version(version: str) -> tuple[int, int, int]:
    match = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
    if not match:
        raise SystemExit(f"pyproject version {version!r} is not major.minor.patch")
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


def stage(out_dir: Path, wheel: Path, constraints: list[str], version: str) -> Path:
    """Lay out the extension exactly as it is packaged, versions stamped."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    major, minor, patch = split_version(version)
    manifest = json.loads((ROOT / "vss-extension.json").read_text(encoding="utf-8"))
    manifest["version"] = f"{major}.{minor}.{patch}"
    (out_dir / "vss-extension.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    shutil.copy2(ROOT / "overview.md", out_dir / "overview.md")
    shutil.copytree(ROOT / "images", out_dir / "images")
    for folder in task_folders():
        target = out_dir / folder.relative_to(ROOT)
        target.mkdir(parents=True)
        task = json.loads((folder / "task.json").read_text(encoding="utf-8-sig"))
        task["version"] = task_version(task["version"]["Major"], version)
        (target / "task.json").write_text(json.dumps(task, indent=2) + "\n", encoding="utf-8")
        for name in ("icon.png", "entry.json"):
            shutil.copy2(folder / name, target / name)
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
    args = parser.parse_args(argv)
    version = project_version()
    wheel = build_wheel(args.build_dir / "wheel")
    staged = stage(args.build_dir / "extension", wheel, pinned_constraints(), version)
    print(f"staged {staged}", file=sys.stderr)
    if args.stage_only:
        print(staged)
        return 0
    vsix = package(staged, args.output_path, allow_warnings=args.allow_tfx_warnings)
    print(vsix)
    return 0


if __name__ == "__main__":
    sys.exit(main())

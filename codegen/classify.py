"""The version rule (docs/releasing.md) as code: classify spec updates, propose the next SDK version, draft the
CHANGELOG entry, and compare the SDK's public Python API with the last release tag (``griffe check``).

* Every change of an API change report has a level (``codegen/api_diff.py``): breaking, additive, documentation.
* A re-pinned version's level is its highest change's level (documentation only when the file changed but no
  operation or model did); a new API version package is additive.
* Breaking -> major, additive -> minor, documentation -> patch (before 1.0 a breaking change bumps the minor).
  Preview and Unstable are Intercom's unstable line and outside the SDK's stability promise: their breaking
  changes are listed as breaking but bump the minor (``UNSTABLE_LINES``).
* A breakage ``griffe check`` finds in the SDK's public API is breaking (unless it is only in an unstable line's
  package), whatever the spec change looked like.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .api_diff import ADDITIVE, BREAKING, DOCUMENTATION, Change, Level

UNSTABLE_LINES = frozenset({"Preview", "Unstable"})
RANK: dict[Level, int] = {DOCUMENTATION: 1, ADDITIVE: 2, BREAKING: 3}
BUMP = {3: "major", 2: "minor", 1: "patch", 0: "none"}


@dataclass
class VersionUpdate:
    """What happened upstream to one API version."""

    name: str  # Intercom-Version, e.g. "2.16"
    module: str
    status: str  # "re-pin" | "new" | "frozen" | "unchanged" | "missing"
    path: str
    old_commit: str | None = None
    new_commit: str | None = None
    new_sha256: str | None = None
    note: str = ""
    changes: list[Change] = field(default_factory=list)
    report: str = ""  # the API change report (Markdown) of this re-pin or new version

    @property
    def level(self) -> Level | None:
        """The highest level of this update's changes; ``None`` when nothing is to be pinned."""
        if self.status == "new":
            return ADDITIVE
        if self.status != "re-pin":
            return None
        return max((c.level for c in self.changes), key=RANK.__getitem__, default=DOCUMENTATION)

    def count(self, level: Level) -> int:
        return sum(1 for c in self.changes if c.level == level)


@dataclass
class SdkCheck:
    """The result of comparing the SDK's public API with the last release tag."""

    outcome: str  # one line, for the report
    breakages: list[str] = field(default_factory=list)


def _effective_rank(update: VersionUpdate) -> int:
    level = update.level
    if level is None:
        return 0
    rank = RANK[level]
    return min(rank, RANK[ADDITIVE]) if update.name in UNSTABLE_LINES else rank


def release_level(updates: Sequence[VersionUpdate], sdk: SdkCheck | None = None) -> int:
    """0 (nothing to release), 1 (patch), 2 (minor) or 3 (major) by the version rule."""
    rank = max((_effective_rank(u) for u in updates), default=0)
    unstable_modules = {u.module for u in updates if u.name in UNSTABLE_LINES}
    if sdk and any(not _in_modules(b, unstable_modules) for b in sdk.breakages):
        rank = 3
    elif sdk and sdk.breakages:
        rank = max(rank, 2)
    return rank


def _in_modules(breakage: str, modules: set[str]) -> bool:
    return any(f"intercom_async/{m}/" in breakage or f"intercom_async.{m}." in breakage for m in modules)


def next_version(current: str, rank: int) -> str:
    """The version after ``current`` for a release of ``rank`` (below 1.0 a breaking change bumps the minor)."""
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", current)
    if not match:
        raise ValueError(f"not a release version: {current!r} (expected MAJOR.MINOR.PATCH)")
    major, minor, patch = map(int, match.groups())
    if rank == 3 and major == 0:
        rank = 2
    if rank == 3:
        return f"{major + 1}.0.0"
    if rank == 2:
        return f"{major}.{minor + 1}.0"
    if rank == 1:
        return f"{major}.{minor}.{patch + 1}"
    return current


def project_version(pyproject: Path) -> str:
    match = re.search(r'(?m)^version\s*=\s*"([^"]+)"', pyproject.read_text(encoding="utf-8"))
    if not match:
        raise ValueError(f"no version in {pyproject}")
    return match.group(1)


# ------------------------------------------------------------------ the SDK's public API (griffe)


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def last_release_tag(root: Path) -> str | None:
    done = _git(root, "describe", "--tags", "--abbrev=0", "--match", "v[0-9]*")
    return done.stdout.strip() or None if done.returncode == 0 else None


def sdk_check(root: Path, package: str = "intercom_async", timeout: float = 900) -> SdkCheck:
    """``griffe check`` of the working tree's ``package`` against the last ``v*`` tag: every breakage it finds."""
    beside = Path(sys.executable).parent / "griffe"  # the virtualenv's, when it is not on PATH
    griffe = str(beside) if beside.exists() else "griffe"
    tag = last_release_tag(root)
    if tag is None:
        return SdkCheck("no release tag yet (v*): the SDK's public API was not compared")
    try:
        done = subprocess.run(
            [griffe, "check", package, "--against", tag, "--search", ".", "--format", "oneline", "--no-color"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        return SdkCheck(f"griffe is not installed: the SDK's public API was not compared with {tag}")
    except subprocess.TimeoutExpired:
        return SdkCheck(f"griffe check against {tag} timed out after {timeout:.0f} s: not compared")
    output = (done.stdout + "\n" + done.stderr).splitlines()
    lines = [line.strip() for line in output if re.match(r"\S+:\d+: ", line.strip())]  # path:line: object: what
    if done.returncode == 0:
        return SdkCheck(f"griffe check against {tag}: no breaking change in the public API")
    if not lines:
        error = ([line for line in output if line.strip()] or [f"exit {done.returncode}"])[-1]
        return SdkCheck(f"griffe check against {tag} failed: {error}")
    return SdkCheck(f"griffe check against {tag}: {len(lines)} breaking change(s) in the public API", lines)


# ------------------------------------------------------------------ CHANGELOG draft


def _short(commit: str | None) -> str:
    return (commit or "?")[:7]


def _listed(changes: Sequence[Change], limit: int = 8) -> str:
    items = [f"{c.subject}: {c.text}" for c in changes[:limit]]
    more = f"; and {len(changes) - limit} more" if len(changes) > limit else ""
    return "; ".join(items) + more


def changelog_sections(updates: Sequence[VersionUpdate], sdk: SdkCheck | None) -> dict[str, list[str]]:
    """Keep a Changelog entries (``Added``, ``Changed``, ``Deprecated``, ``Removed``) for the updates."""
    out: dict[str, list[str]] = {"Added": [], "Changed": [], "Deprecated": [], "Removed": []}
    for u in updates:
        where = f"API {u.name} (`intercom_async.{u.module}`)"
        if u.status == "new":
            out["Added"].append(
                f'Intercom API {u.name}: `intercom_async.{u.module}` (`version="{u.name}"`), pinned at upstream '
                f"`{_short(u.new_commit)}` ({u.path})."
            )
            continue
        if u.status != "re-pin":
            continue
        pin = f"re-pinned `{_short(u.old_commit)}` -> `{_short(u.new_commit)}`"
        removed = [c for c in u.changes if c.level == BREAKING and " removed" in f" {c.text}"]
        breaking = [c for c in u.changes if c.level == BREAKING and c not in removed]
        additive = [c for c in u.changes if c.level == ADDITIVE]
        documentation = [c for c in u.changes if c.level == DOCUMENTATION]
        label = " (unstable line: not covered by the stability promise)" if u.name in UNSTABLE_LINES else ""
        if additive:
            out["Added"].append(f"{where}, {pin}: {_listed(additive)}.")
        if breaking:
            out["Changed"].append(f"**Breaking**{label}: {where}, {pin}: {_listed(breaking)}.")
        if removed:
            out["Removed"].append(f"**Breaking**{label}: {where}, {pin}: {_listed(removed)}.")
        deprecated = [c for c in documentation if "deprecated" in c.text]
        described = [c for c in documentation if c not in deprecated]
        if deprecated:
            out["Deprecated"].append(f"{where}, {pin}: {_listed(deprecated)}.")
        if described:
            out["Changed"].append(f"{where}, {pin}: documentation: {_listed(described, 4)}.")
        if not u.changes:
            out["Changed"].append(f"{where}, {pin}: examples or formatting only; no API or documentation change.")
    if sdk and sdk.breakages:
        out["Changed"].append(
            f"**Breaking**: the SDK's public Python API ({sdk.outcome}): {'; '.join(sdk.breakages[:8])}."
        )
    return {k: v for k, v in out.items() if v}


def draft_changelog(text: str, sections: dict[str, list[str]], proposed: str, reason: str) -> str:
    """``text`` (CHANGELOG.md) with the entries added under ``## [Unreleased]`` (into existing subsections, or new
    ones) and one comment line proposing the next version."""
    head = re.search(r"(?m)^## \[Unreleased\][^\n]*\n", text)
    if head is None:
        raise ValueError("CHANGELOG.md has no '## [Unreleased]' section")
    end_match = re.search(r"(?m)^## ", text[head.end() :])
    end = head.end() + (end_match.start() if end_match else len(text) - head.end())
    body = re.sub(r"(?m)^<!-- update-specs: proposed next version .*-->\n", "", text[head.end() : end])
    for section, entries in sections.items():
        lines = "".join(f"- {e}\n" for e in entries)
        sub = re.search(rf"(?m)^### {section}\n", body)
        if sub:
            body = body[: sub.end()] + lines + body[sub.end() :]
        else:
            body = body.rstrip("\n") + ("\n\n" if body.strip() else "\n") + f"### {section}\n{lines}\n"
    comment = f"<!-- update-specs: proposed next version {proposed} ({reason}); see docs/releasing.md -->\n"
    body = "\n" + body.strip("\n") + "\n\n" if body.strip() else "\n"
    return text[: head.end()] + comment + body + text[end:]

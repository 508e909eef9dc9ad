"""``python -m codegen update-specs``: compare the pins with upstream, classify, and (``--apply``) re-pin.

    python -m codegen update-specs [--upstream PATH [--ref REF] | --github REF] [--apply] [--no-generate]
                                   [--report FILE]

Reads an upstream copy of intercom/Intercom-OpenAPI (``codegen/upstream.py``): a local clone (``--upstream``,
``make update-specs UPSTREAM=path``), or the GitHub repository at a branch or commit (``--github``, the
default: ``main``). For every pin of ``openapi/versions.toml`` it reads the file at the pinned path upstream:

* same sha256: up to date;
* another sha256: stale, re-pinned by ``--apply``; the API change report old pin -> new file
  (``codegen/api_diff.py``) gives each change its level (``codegen/classify.py``);
* a file whose ``info.version`` names another version (Unstable: ``descriptions/0`` now describes Preview):
  frozen, reported and left as pinned.

A numbered ``descriptions/<version>`` folder newer than every pinned numbered version is a new version
(compared with the newest pinned one; a new version package is additive). ``--apply`` re-pins (commit, path,
sha256) or adds the ``[[version]]`` table, copies the new files into the cache ``.cache/openapi/`` (so
``fetch`` finds them without a download; elsewhere they come from the pinned upstream URL), regenerates the
packages that changed (``--no-generate`` skips it), compares the SDK's public API with the last release tag
(``griffe check``), drafts the CHANGELOG entry and the next version, and writes the report (``--report``,
default ``.cache/update-specs/report.md``). Nothing is committed or published.

Exit codes: 0 up to date (nothing to do); 10 updates found (and applied with ``--apply``); 2 usage error;
3 upstream could not be read; 4 applying failed (a fetch or generation error). Every outcome is one line on
stdout or stderr (and the report, when there are updates), never a traceback.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import api_diff, classify
from .classify import SdkCheck, VersionUpdate
from .fetch import FetchError, fetch, sha256_of
from .names import NameTable
from .normalize import normalise
from .pins import CACHE_DIR, PINS_FILE, ROOT, Pin, load_pins
from .upstream import DESCRIPTIONS, SPEC_FILE, Upstream, UpstreamError, info_version

EXIT_UP_TO_DATE, EXIT_UPDATES, EXIT_USAGE, EXIT_UPSTREAM, EXIT_APPLY = 0, 10, 2, 3, 4
DEFAULT_REPORT = ROOT / ".cache" / "update-specs" / "report.md"


@dataclass
class Workspace:
    """The files an update reads and writes (the repository's by default; the tests use a temporary copy)."""

    pins_file: Path = PINS_FILE
    cache_dir: Path = CACHE_DIR
    changelog: Path = ROOT / "CHANGELOG.md"
    pyproject: Path = ROOT / "pyproject.toml"
    root: Path = ROOT


def _numbered(name: str) -> tuple[int, ...] | None:
    return tuple(int(p) for p in name.split(".")) if re.fullmatch(r"\d+(\.\d+)+", name) else None


def module_name(version: str) -> str:
    return "v" + version.replace(".", "_")


_NORMALISED: dict[str, dict[str, Any]] = {}  # by sha256: a pinned file is read once per process (read only)


def _normalised(data: bytes, what: str) -> dict[str, Any]:
    key = sha256_of(data)
    if key not in _NORMALISED:
        if len(_NORMALISED) >= 8:
            _NORMALISED.pop(next(iter(_NORMALISED)))
        _NORMALISED[key] = _normalise(data, what)
    return _NORMALISED[key]


def _normalise(data: bytes, what: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        spec = yaml.load(data, Loader=loader)
    except yaml.YAMLError as exc:
        raise UpstreamError(f"{what} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        raise UpstreamError(f"{what} is not an OpenAPI description")
    spec.setdefault("components", {}).setdefault("schemas", {})
    return normalise(spec)[0]


def _pinned_bytes(pin: Pin, upstream: Upstream) -> bytes:
    """The pinned file: from the upstream clone when it has the pinned commit, else from the cache/shared/URL."""
    if upstream.has_commit(pin.commit):
        data = upstream.read(pin.path, pin.commit)
        if sha256_of(data) == pin.sha256:
            return data
    return fetch(pin).read_bytes()


def _diff(old: bytes, new: bytes, old_pin: Pin, new_pin: Pin, table: NameTable) -> tuple[list[api_diff.Change], str]:
    a, b = _normalised(old, f"{old_pin.name} ({old_pin.path})"), _normalised(new, f"{new_pin.name} ({new_pin.path})")
    changes = api_diff.changes(a, b, table)
    if old_pin.module == new_pin.module:  # a re-pin: descriptions tell a documentation change from none
        changes += api_diff.documentation_changes(a, b)
    return changes, api_diff.report(old_pin, a, new_pin, b, table)


def check(upstream: Upstream, pins: Sequence[Pin], table: NameTable) -> tuple[list[VersionUpdate], dict[str, bytes]]:
    """What changed upstream for every pin, and the new versions; with the new files' bytes by version name."""
    updates: list[VersionUpdate] = []
    files: dict[str, bytes] = {}
    present = upstream.files()
    folders = upstream.version_folders()
    for pin in pins:
        update = VersionUpdate(pin.name, pin.module, "unchanged", pin.path, old_commit=pin.commit)
        updates.append(update)
        if pin.path not in present:
            update.status, update.note = "missing", f"{pin.path} is gone upstream; the pin is kept"
            continue
        data = upstream.read(pin.path)
        described = info_version(data)
        if described is not None and described != pin.name:
            update.status = "frozen"
            update.note = f"{pin.path} now describes {described!r}; {pin.name} stays at `{pin.commit[:7]}`"
            continue
        if sha256_of(data) == pin.sha256:
            continue
        update.status, update.new_commit, update.new_sha256 = "re-pin", upstream.commit, sha256_of(data)
        old_label = Pin(f"{pin.name}@{pin.commit[:7]}", pin.module, pin.commit, pin.path, pin.sha256, pin.url)
        new_label = Pin(f"{pin.name}@{upstream.commit[:7]}", pin.module, upstream.commit, pin.path, "", pin.url)
        update.changes, update.report = _diff(_pinned_bytes(pin, upstream), data, old_label, new_label, table)
        files[pin.name] = data
    numbered = sorted((p for p in pins if _numbered(p.name)), key=lambda p: _numbered(p.name) or ())
    newest = numbered[-1] if numbered else None
    for folder in sorted((f for f in folders if _numbered(f)), key=lambda f: _numbered(f) or ()):
        if newest is not None and (_numbered(folder) or ()) <= (_numbered(newest.name) or ()):
            continue
        path = f"{DESCRIPTIONS}/{folder}/{SPEC_FILE}"
        data = upstream.read(path)
        update = VersionUpdate(
            folder, module_name(folder), "new", path, new_commit=upstream.commit, new_sha256=sha256_of(data)
        )
        if newest is not None:
            new_pin = Pin(folder, update.module, upstream.commit, path, update.new_sha256 or "", "")
            update.changes, update.report = _diff(_pinned_bytes(newest, upstream), data, newest, new_pin, table)
            update.note = f"compared with {newest.name}"
        updates.append(update)
        files[folder] = data
    return updates, files


# ------------------------------------------------------------------ --apply


def repin(text: str, updates: Sequence[VersionUpdate]) -> str:
    """``openapi/versions.toml`` text with the re-pins and new versions written in (comments kept)."""
    for u in updates:
        if u.status == "re-pin":
            block = re.search(rf'(?ms)^\[\[version\]\]\nname = "{re.escape(u.name)}"\n.*?(?=^\s*$|^\[)', text)
            if block is None:
                raise ValueError(f"no [[version]] table for {u.name} in versions.toml")
            table = re.sub(r'(?m)^commit = ".*"$', f'commit = "{u.new_commit}"', block.group(0))
            table = re.sub(r'(?m)^sha256 = ".*"$', f'sha256 = "{u.new_sha256}"', table)
            text = text[: block.start()] + table + text[block.end() :]
        elif u.status == "new":
            last = list(re.finditer(r"(?ms)^\[\[version\]\]\n.*?(?=^\s*$|^\[)", text))[-1]
            table = (
                f'\n[[version]]\nname = "{u.name}"\nmodule = "{u.module}"\ncommit = "{u.new_commit}"\n'
                f'path = "{u.path}"\nsha256 = "{u.new_sha256}"\n'
            )
            text = text[: last.end()] + table + text[last.end() :]
    return text


def _generate(names: Sequence[str], root: Path) -> str | None:
    """Regenerate the named versions (and the versions module, docs, reports); an error line, or ``None``."""
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "generate", *names], cwd=root, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        return lines[-1] if lines else f"exit {done.returncode}"
    return None


def render_report(
    label: str, commit: str, updates: Sequence[VersionUpdate], sdk: SdkCheck | None, current: str, proposed: str
) -> str:
    """The classified report (the update pull request's body)."""
    rank = classify.release_level(updates, sdk)
    out = [
        f"# Intercom OpenAPI update: `{commit[:7]}`",
        "",
        f"Upstream: {label} (`{commit}`).",
        "",
        f"**Proposed version: {proposed}** (from {current}: {classify.BUMP[rank]}; rule: docs/releasing.md).",
        "",
        "| API version | upstream | breaking | additive | documentation | level |",
        "|---|---|---|---|---|---|",
    ]
    for u in updates:
        if u.status == "re-pin":
            where = f"re-pin `{(u.old_commit or '')[:7]}` -> `{(u.new_commit or '')[:7]}`"
        elif u.status == "new":
            where = f"new version ({u.path}; {u.note or 'first version'})"
        else:
            where = {"unchanged": "up to date", "frozen": f"frozen: {u.note}", "missing": u.note}[u.status]
        counts = (
            [str(u.count(level)) for level in (api_diff.BREAKING, api_diff.ADDITIVE, api_diff.DOCUMENTATION)]
            if u.status in ("re-pin", "new")
            else ["-", "-", "-"]
        )
        level: str = u.level or "-"
        if u.status == "re-pin" and not u.changes:
            level = "documentation only (examples or formatting)"
        elif u.level == api_diff.DOCUMENTATION:
            level = "documentation only"
        if u.status == "new":
            level = "additive (new version)"
        out.append(f"| {u.name} | {where} | {' | '.join(counts)} | {level} |")
    out += ["", f"SDK public API: {sdk.outcome if sdk else 'not compared (not regenerated)'}.", ""]
    if sdk and sdk.breakages:
        out += [f"- {b}" for b in sdk.breakages[:50]] + [""]
    for u in updates:
        if u.status != "re-pin" or not u.changes:
            continue
        for level in (api_diff.BREAKING, api_diff.ADDITIVE, api_diff.DOCUMENTATION):
            items = [c for c in u.changes if c.level == level]
            if items:
                out += [f"## {u.name}: {level} ({len(items)})", ""]
                out += [f"- {c.subject}: {c.text}" for c in items[:60]]
                out += [f"- ... and {len(items) - 60} more (full report below)"] if len(items) > 60 else []
                out.append("")
    for u in updates:
        if u.report:
            out += [
                f"<details><summary>API change report: {u.name} ({u.status})</summary>",
                "",
                u.report,
                "</details>",
                "",
            ]
    return "\n".join(out).rstrip() + "\n"


def run(
    upstream: Upstream,
    *,
    apply: bool,
    generate: bool = True,
    workspace: Workspace | None = None,
    report_file: Path = DEFAULT_REPORT,
    table: NameTable | None = None,
    sdk: SdkCheck | None = None,
) -> int:
    """Check (and apply); print one line per outcome; return the exit code."""
    ws = workspace or Workspace()
    if table is None:
        from .generate import naming_table

        table = naming_table()
    pins = load_pins(ws.pins_file)
    updates, files = check(upstream, pins, table)
    for u in updates:
        if u.status in ("frozen", "missing"):
            print(f"{u.name}: {u.status}: {u.note}")
    todo = [u for u in updates if u.status in ("re-pin", "new")]
    if not todo:
        print(f"up to date: every pin matches {upstream.label} (`{upstream.commit[:7]}`)")
        return EXIT_UP_TO_DATE
    current = classify.project_version(ws.pyproject)
    if apply:
        ws.pins_file.write_text(repin(ws.pins_file.read_text(encoding="utf-8"), todo), encoding="utf-8")
        for name, data in files.items():  # the cache gets the new files: fetch finds them without a download
            target = ws.cache_dir / name / SPEC_FILE
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if generate:
            error = _generate([u.name for u in todo], ws.root)
            if error:
                print(f"update-specs: re-pinned, but regenerating failed: {error}", file=sys.stderr)
                return EXIT_APPLY
            if sdk is None:
                sdk = classify.sdk_check(ws.root)
    rank = classify.release_level(updates, sdk)
    proposed = classify.next_version(current, rank)
    report = render_report(upstream.label, upstream.commit, updates, sdk, current, proposed)
    report_file.parent.mkdir(parents=True, exist_ok=True)
    report_file.write_text(report, encoding="utf-8")
    if apply:
        reason = f"{classify.BUMP[rank]} from {current}"
        sections = classify.changelog_sections(updates, sdk)
        text = classify.draft_changelog(ws.changelog.read_text(encoding="utf-8"), sections, proposed, reason)
        ws.changelog.write_text(text, encoding="utf-8")
    for u in todo:
        counts = ", ".join(f"{u.count(level)} {level}" for level in api_diff.LEVELS)
        print(f"{u.name}: {'re-pinned' if apply else 'stale'} ({u.status}; {counts}) -> {u.level}")
    verb = "applied" if apply else "found (dry run: --apply re-pins)"
    print(f"updates {verb}: proposed version {proposed} ({classify.BUMP[rank]} from {current}); report: {report_file}")
    return EXIT_UPDATES


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen update-specs", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--upstream", type=Path, help="a local clone of intercom/Intercom-OpenAPI")
    source.add_argument("--github", metavar="REF", help="the GitHub repository at a branch or commit (default main)")
    parser.add_argument("--ref", default="HEAD", help="with --upstream: the branch or commit to read (default HEAD)")
    parser.add_argument("--apply", action="store_true", help="re-pin, regenerate, draft the CHANGELOG entry")
    parser.add_argument("--no-generate", action="store_true", help="with --apply: do not regenerate the packages")
    parser.add_argument("--report", type=Path, default=DEFAULT_REPORT, help="where to write the classified report")
    try:
        args = parser.parse_args(list(argv))
    except SystemExit as exc:
        return EXIT_USAGE if exc.code else EXIT_UP_TO_DATE
    try:
        if args.upstream is not None:
            upstream = Upstream.local(args.upstream, args.ref)
        else:
            upstream = Upstream.github(args.github or "main")
    except UpstreamError as exc:
        print(f"update-specs: upstream unreadable: {exc}", file=sys.stderr)
        return EXIT_UPSTREAM
    with upstream:
        try:
            return run(upstream, apply=args.apply, generate=not args.no_generate, report_file=args.report)
        except UpstreamError as exc:
            print(f"update-specs: upstream unreadable: {exc}", file=sys.stderr)
            return EXIT_UPSTREAM
        except FetchError as exc:
            print(f"update-specs: {str(exc).splitlines()[0]}", file=sys.stderr)
            return EXIT_APPLY

"""``make update-specs`` offline: a local git repository the tests build stands in for intercom/Intercom-OpenAPI.

The stand-in holds the pinned 2.10 description (a byte copy from ../shared/openapi) and a small
``descriptions/0`` that was "Unstable" at the first commit and says "Preview" at the second; the tests pin both
in a temporary ``versions.toml`` and then change the upstream: an additive change, a breaking one, a
documentation-only one, a new version folder, nothing, and an upstream that cannot be read. Each run uses the
real code path (git, the normalisation, the API change report, the classification, the re-pin, the cache, the
CHANGELOG draft) with regeneration switched off (it is proved once by hand, see docs/releasing.md).
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import tomllib

from codegen import classify, update_specs
from codegen.api_diff import Change
from codegen.fetch import FetchError, fetch, sha256_of
from codegen.generate import load_spec, naming_table
from codegen.pins import Pin, load_pins
from codegen.upstream import Upstream, UpstreamError

ROOT = Path(__file__).resolve().parents[2]
SHARED_210 = ROOT.parent / "shared" / "openapi" / "2.10" / "api.intercom.io.yaml"
SPEC_210 = SHARED_210 if SHARED_210.exists() else ROOT / ".cache" / "openapi" / "2.10" / "api.intercom.io.yaml"
UNSTABLE = b"openapi: 3.0.1\ninfo:\n  title: Intercom API\n  version: Unstable\npaths: {}\n"
PREVIEW = b"openapi: 3.0.1\ninfo:\n  title: Intercom API\n  version: Preview\npaths: {}\n"
CHANGELOG = "# Changelog\n\n## [Unreleased]\n\n### Added\n- A hand-written entry.\n\n## [1.0.0] - 2026-12-06\n"


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com", "GIT_COMMITTER_NAME": "t"}
    env |= {"GIT_COMMITTER_EMAIL": "t@example.com", "PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(repo)}
    done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


def commit(repo: Path, files: dict[str, bytes], message: str) -> str:
    for path, data in files.items():
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_bytes(data)
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def spec_210() -> dict[str, Any]:
    return load_spec(SPEC_210)


@pytest.fixture(scope="module")
def table() -> Any:
    return naming_table()


class Stand:
    """The stand-in upstream and a workspace pinned to it."""

    def __init__(self, tmp: Path) -> None:
        self.repo = tmp / "upstream"
        self.repo.mkdir()
        git(self.repo, "init", "--quiet", "-b", "main")
        first = commit(self.repo, {"descriptions/0/api.intercom.io.yaml": UNSTABLE}, "Unstable")
        self.original = SPEC_210.read_bytes()
        self.pinned = commit(
            self.repo,
            {"descriptions/2.10/api.intercom.io.yaml": self.original, "descriptions/0/api.intercom.io.yaml": PREVIEW},
            "2.10; Unstable renamed Preview",
        )
        self.ws = update_specs.Workspace(
            pins_file=tmp / "versions.toml",
            cache_dir=tmp / "cache",
            changelog=tmp / "CHANGELOG.md",
            pyproject=tmp / "pyproject.toml",
            root=tmp,
        )
        self.ws.pins_file.write_text(
            'upstream = "https://example.invalid/{commit}/{path}"\ndefault = "2.10"\n\n'
            f'[[version]]\nname = "2.10"\nmodule = "v2_10"\ncommit = "{self.pinned}"\n'
            f'path = "descriptions/2.10/api.intercom.io.yaml"\nsha256 = "{sha256_of(self.original)}"\n\n'
            f'[[version]]\nname = "Unstable"\nmodule = "unstable"\ncommit = "{first}"\n'
            f'path = "descriptions/0/api.intercom.io.yaml"\nsha256 = "{sha256_of(UNSTABLE)}"\n',
            encoding="utf-8",
        )
        self.ws.changelog.write_text(CHANGELOG, encoding="utf-8")
        self.ws.pyproject.write_text('[project]\nname = "x"\nversion = "1.0.0"\n', encoding="utf-8")
        self.report = tmp / "report.md"

    def change(self, spec: dict[str, Any], folder: str = "2.10") -> str:
        data = json.dumps(
            spec, indent=1, default=str, ensure_ascii=False
        ).encode()  # JSON is YAML: a re-formatted file, same content
        return commit(self.repo, {f"descriptions/{folder}/api.intercom.io.yaml": data}, f"change {folder}")

    def run(self, table: Any, *, apply: bool = True) -> int:
        with Upstream.local(self.repo) as upstream:
            return update_specs.run(
                upstream, apply=apply, generate=False, workspace=self.ws, report_file=self.report, table=table
            )


@pytest.fixture
def stand(tmp_path: Path) -> Stand:
    return Stand(tmp_path)


def _pin(stand: Stand, name: str) -> Any:
    return {p.name: p for p in load_pins(stand.ws.pins_file)}[name]


def test_no_change_is_one_line_and_touches_nothing(
    stand: Stand, table: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stand.ws.pins_file.read_text()
    assert stand.run(table) == update_specs.EXIT_UP_TO_DATE
    out = capsys.readouterr().out.splitlines()
    assert out[-1].startswith("up to date: every pin matches")
    # Unstable's path now describes Preview upstream: reported as frozen, never as stale
    assert any(
        line.startswith("Unstable: frozen: descriptions/0/api.intercom.io.yaml now describes 'Preview'") for line in out
    )
    assert stand.ws.pins_file.read_text() == before
    assert stand.ws.changelog.read_text() == CHANGELOG
    assert not stand.report.exists() and not stand.ws.cache_dir.exists()


def test_additive_change_is_repinned_classified_and_drafted(
    stand: Stand, spec_210: dict[str, Any], table: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = copy.deepcopy(spec_210)
    spec["components"]["schemas"]["admin"]["properties"]["nickname"] = {"type": "string", "nullable": True}
    spec["paths"]["/admins/{id}/nickname"] = {
        "get": {
            "operationId": "getAdminNickname",
            "tags": ["Admins"],
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "responses": {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/admin"}}}}},
        }
    }
    new_commit = stand.change(spec)
    assert stand.run(table) == update_specs.EXIT_UPDATES
    assert "proposed version 1.1.0 (minor from 1.0.0)" in capsys.readouterr().out

    pin = _pin(stand, "2.10")
    new_bytes = (stand.repo / pin.path).read_bytes()
    assert (pin.commit, pin.sha256) == (new_commit, sha256_of(new_bytes))
    assert _pin(stand, "Unstable").sha256 == sha256_of(UNSTABLE)  # frozen: untouched
    assert (stand.ws.cache_dir / "2.10" / "api.intercom.io.yaml").read_bytes() == new_bytes

    report = stand.report.read_text()
    assert "**Proposed version: 1.1.0** (from 1.0.0: minor" in report
    assert "| 2.10 | re-pin " in report and "| 0 | 2 | 0 | additive |" in report
    assert "`GET /admins/{id}/nickname`: operation added" in report
    assert "`admin`: field `nickname` added (str)" in report
    changelog = stand.ws.changelog.read_text()
    assert "<!-- update-specs: proposed next version 1.1.0 (minor from 1.0.0)" in changelog
    added = changelog.split("### Added\n", 1)[1].split("\n\n", 1)[0]
    assert "API 2.10 (`intercom_async.v2_10`), re-pinned" in added and "field `nickname` added" in added
    assert "- A hand-written entry." in added and changelog.endswith("## [1.0.0] - 2026-12-06\n")
    # running again: the pin now matches upstream
    assert stand.run(table) == update_specs.EXIT_UP_TO_DATE


def test_breaking_change_proposes_a_major_version(stand: Stand, spec_210: dict[str, Any], table: Any) -> None:
    spec = copy.deepcopy(spec_210)
    del spec["paths"]["/tags/{id}"]["delete"]
    state = spec["components"]["schemas"]["conversation_list_item"]["properties"]["state"]
    state["enum"] = [v for v in state["enum"] if v != "snoozed"]
    stand.change(spec)
    assert stand.run(table) == update_specs.EXIT_UPDATES
    report = stand.report.read_text()
    assert "**Proposed version: 2.0.0** (from 1.0.0: major" in report
    assert "## 2.10: breaking (2)" in report
    assert "`DELETE /tags/{id}`: operation removed" in report
    assert "field `state`: enum values removed: 'snoozed'" in report
    changelog = stand.ws.changelog.read_text()
    assert "### Removed\n- **Breaking**: API 2.10" in changelog and "operation removed" in changelog
    assert "'snoozed'" in changelog.split("### Removed", 1)[1]


def test_documentation_only_change_is_a_patch(stand: Stand, spec_210: dict[str, Any], table: Any) -> None:
    spec = copy.deepcopy(spec_210)
    spec["paths"]["/admins"]["get"]["description"] = "A new description."
    stand.change(spec)
    assert stand.run(table) == update_specs.EXIT_UPDATES
    report = stand.report.read_text()
    assert "**Proposed version: 1.0.1**" in report and "| 0 | 0 | 1 | documentation only |" in report
    assert "- `GET /admins`: description changed" in report
    changelog = stand.ws.changelog.read_text()
    assert "### Changed\n- API 2.10 (`intercom_async.v2_10`), re-pinned" in changelog
    assert "documentation: `GET /admins`: description changed." in changelog


def test_a_reformatted_file_without_any_change_is_a_patch(stand: Stand, spec_210: dict[str, Any], table: Any) -> None:
    stand.change(copy.deepcopy(spec_210))  # same content, other bytes (JSON)
    assert stand.run(table) == update_specs.EXIT_UPDATES
    report = stand.report.read_text()
    assert "**Proposed version: 1.0.1**" in report and "documentation only (examples or formatting) |" in report
    assert "examples or formatting only; no API or documentation change" in stand.ws.changelog.read_text()


def test_new_version_folder_is_added_as_a_new_package(stand: Stand, spec_210: dict[str, Any], table: Any) -> None:
    spec = copy.deepcopy(spec_210)
    spec["info"]["version"] = "2.11"
    spec["components"]["schemas"]["admin"]["properties"]["nickname"] = {"type": "string"}
    stand.change(spec, folder="2.11")
    stand.change(spec, folder="2.9")  # an older unpinned folder is not new
    assert stand.run(table) == update_specs.EXIT_UPDATES
    pins = {p.name: p for p in load_pins(stand.ws.pins_file)}
    assert list(pins) == ["2.10", "Unstable", "2.11"]
    new = pins["2.11"]
    assert (new.module, new.path) == ("v2_11", "descriptions/2.11/api.intercom.io.yaml")
    assert new.sha256 == sha256_of((stand.repo / new.path).read_bytes())
    assert new.commit == git(stand.repo, "rev-parse", "HEAD")
    assert pins["2.10"].sha256 == sha256_of(stand.original)  # unchanged
    report = stand.report.read_text()
    assert "| 2.11 | new version (descriptions/2.11/api.intercom.io.yaml; compared with 2.10)" in report
    assert "**Proposed version: 1.1.0**" in report
    assert 'Intercom API 2.11: `intercom_async.v2_11` (`version="2.11"`)' in stand.ws.changelog.read_text()
    assert tomllib.loads(stand.ws.pins_file.read_text())["default"] == "2.10"  # the default never moves by itself


def test_dry_run_reports_without_writing(stand: Stand, spec_210: dict[str, Any], table: Any) -> None:
    spec = copy.deepcopy(spec_210)
    spec["components"]["schemas"]["admin"]["properties"]["nickname"] = {"type": "string"}
    stand.change(spec)
    before = stand.ws.pins_file.read_text()
    assert stand.run(table, apply=False) == update_specs.EXIT_UPDATES
    assert stand.ws.pins_file.read_text() == before and stand.ws.changelog.read_text() == CHANGELOG
    assert "| 2.10 | re-pin" in stand.report.read_text()


def test_a_pinned_file_gone_upstream_keeps_its_pin(
    stand: Stand, table: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    git(stand.repo, "rm", "--quiet", "-r", "descriptions/2.10")
    git(stand.repo, "commit", "--quiet", "-m", "2.10 retired")
    assert stand.run(table) == update_specs.EXIT_UP_TO_DATE
    out = capsys.readouterr().out
    assert "2.10: missing: descriptions/2.10/api.intercom.io.yaml is gone upstream; the pin is kept" in out
    assert _pin(stand, "2.10").sha256 == sha256_of(stand.original)


def test_fetch_passes_over_a_stale_shared_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # after a re-pin, ../shared/openapi/<version>/ still holds the old file: fetch goes to the pinned URL
    monkeypatch.setattr("codegen.pins.CACHE_DIR", tmp_path / "cache")
    monkeypatch.setattr("codegen.pins.SHARED_DIR", tmp_path / "shared")
    (tmp_path / "shared" / "9.99").mkdir(parents=True)
    (tmp_path / "shared" / "9.99" / "api.intercom.io.yaml").write_bytes(b"old")
    pin = Pin("9.99", "v9_99", "c" * 40, "descriptions/9.99/api.intercom.io.yaml", sha256_of(b"new"), "http://x/9.99")
    asked: list[str] = []

    def download(url: str) -> bytes:
        asked.append(url)
        return b"new"

    assert fetch(pin, download=download).read_bytes() == b"new" and asked == ["http://x/9.99"]
    pin.cache_file.unlink()

    def offline(url: str) -> bytes:
        raise OSError("no network")

    with pytest.raises(
        FetchError,
        match=r"could not download Intercom API 9\.99 .*shared/9\.99/api\.intercom\.io\.yaml holds another version",
    ):
        fetch(pin, download=offline)


def test_repin_edits_the_real_pins_file_in_place() -> None:
    text = (ROOT / "openapi" / "versions.toml").read_text(encoding="utf-8")
    repin = classify.VersionUpdate("2.16", "v2_16", "re-pin", "descriptions/2.16/api.intercom.io.yaml")
    repin.new_commit, repin.new_sha256 = "a" * 40, "b" * 64
    new = classify.VersionUpdate("2.18", "v2_18", "new", "descriptions/2.18/api.intercom.io.yaml")
    new.new_commit, new.new_sha256 = "c" * 40, "d" * 64
    edited = update_specs.repin(text, [repin, new])
    changed = [(a, b) for a, b in zip(text.splitlines(), edited.splitlines(), strict=False) if a != b]
    assert changed[:2] == [
        ('commit = "8889625a7b931d8649e18726e7f872ff073520fc"', f'commit = "{"a" * 40}"'),
        ('sha256 = "212b09336bf561992d998e6650d4eaacb44aa0a0f02504e398cf10f1cfb9d238"', f'sha256 = "{"b" * 64}"'),
    ]
    data = tomllib.loads(edited)
    assert [v["name"] for v in data["version"]] == ["2.10", "2.12", "Unstable", "2.14", "2.16", "Preview", "2.18"]
    assert data["version"][-1] == {
        "name": "2.18",
        "module": "v2_18",
        "commit": "c" * 40,
        "path": "descriptions/2.18/api.intercom.io.yaml",
        "sha256": "d" * 64,
    }
    assert data["naming"] == tomllib.loads(text)["naming"] and data["default"] == "2.16"
    assert edited.count("#") == text.count("#")  # every comment kept


@pytest.mark.parametrize("kind", ["missing", "not a repository", "unknown ref"])
def test_unreadable_upstream_is_one_line_and_exit_3(tmp_path: Path, kind: str) -> None:
    args = ["--upstream", str(tmp_path / "missing")]
    if kind == "not a repository":
        args = ["--upstream", str(tmp_path)]
    elif kind == "unknown ref":
        stand = Stand(tmp_path)
        args = ["--upstream", str(stand.repo), "--ref", "no-such-branch"]
    done = subprocess.run(
        [sys.executable, "-m", "codegen", "update-specs", *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == update_specs.EXIT_UPSTREAM, done.stderr
    assert done.stdout == "" and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert done.stderr.startswith("update-specs: upstream unreadable: ") and "Traceback" not in done.stderr


def test_the_github_code_path_reads_a_shallow_partial_clone(stand: Stand, spec_210: dict[str, Any], table: Any) -> None:
    # the same fetch (depth 1, blobs on demand) as against GitHub, from the stand-in served over file://
    git(stand.repo, "config", "uploadpack.allowFilter", "true")
    spec = copy.deepcopy(spec_210)
    spec["components"]["schemas"]["admin"]["properties"]["nickname"] = {"type": "string"}
    new_commit = stand.change(spec)
    with Upstream.github("main", url=f"file://{stand.repo}") as upstream:
        assert upstream.commit == new_commit
        assert upstream.version_folders() == ["0", "2.10"]
        assert (
            update_specs.run(
                upstream, apply=True, generate=False, workspace=stand.ws, report_file=stand.report, table=table
            )
            == update_specs.EXIT_UPDATES
        )
        folder = Path(upstream.repo)
    assert not folder.exists()  # the temporary clone is removed
    assert _pin(stand, "2.10").commit == new_commit
    assert "field `nickname` added" in stand.report.read_text()


def test_a_github_upstream_that_cannot_be_reached_is_an_upstream_error(tmp_path: Path) -> None:
    # the GitHub code path against an address with nothing listening (no network is used)
    with pytest.raises(UpstreamError, match=r"could not read http://127\.0\.0\.1:9/none at main"):
        Upstream.github("main", url="http://127.0.0.1:9/none", timeout=20)


def test_usage_error_exit_code() -> None:
    assert update_specs.main(["--no-such-option"]) == update_specs.EXIT_USAGE


# ------------------------------------------------------------------ the version rule


def _update(name: str, *levels: str, status: str = "re-pin") -> classify.VersionUpdate:
    changes = [Change("`x`", "t", level) for level in levels]  # type: ignore[arg-type]
    return classify.VersionUpdate(name, "m", status, "p", changes=changes)


@pytest.mark.parametrize(
    ("updates", "current", "expected"),
    [
        ([_update("2.16", "additive", "breaking")], "1.0.0", "2.0.0"),
        ([_update("2.16", "additive"), _update("2.14", "documentation")], "1.2.3", "1.3.0"),
        ([_update("2.16")], "1.2.3", "1.2.4"),  # a changed file without an API change: documentation only
        ([_update("2.17", status="new")], "1.2.3", "1.3.0"),
        ([_update("Preview", "breaking")], "1.2.3", "1.3.0"),  # the unstable line: outside the promise
        ([_update("Preview", "breaking"), _update("2.10", "breaking")], "1.2.3", "2.0.0"),
        ([_update("2.16", "breaking")], "0.4.1", "0.5.0"),  # before 1.0 a breaking change bumps the minor
        ([_update("2.16", status="frozen")], "1.2.3", "1.2.3"),
    ],
)
def test_version_rule(updates: list[classify.VersionUpdate], current: str, expected: str) -> None:
    assert classify.next_version(current, classify.release_level(updates)) == expected


def test_sdk_breakage_found_by_griffe_makes_a_major(tmp_path: Path) -> None:
    repo = tmp_path / "sdk"
    repo.mkdir()
    git(repo, "init", "--quiet", "-b", "main")
    commit(repo, {"pkg/__init__.py": b"def find(contact_id: str) -> None:\n    pass\n"}, "first")
    assert classify.sdk_check(repo, "pkg").outcome == "no release tag yet (v*): the SDK's public API was not compared"
    git(repo, "tag", "v1.0.0")
    commit(
        repo, {"pkg/__init__.py": b"def find(contact_id: str) -> None:\n    pass\n\n\ndef more() -> None: ...\n"}, "x"
    )
    assert classify.sdk_check(repo, "pkg").breakages == []
    commit(repo, {"pkg/__init__.py": b"def get(contact_id: str) -> None:\n    pass\n"}, "rename")
    check = classify.sdk_check(repo, "pkg")
    assert "1 breaking change(s)" in check.outcome and "find" in check.breakages[0]
    assert classify.next_version("1.0.0", classify.release_level([_update("2.16", "additive")], check)) == "2.0.0"

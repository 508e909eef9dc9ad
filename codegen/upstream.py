"""Read an upstream copy of intercom/Intercom-OpenAPI: a local git clone, or the GitHub repository at a ref.

``Upstream.local(path, ref)`` reads a clone with ``git`` (nothing is checked out or changed in it);
``Upstream.github(ref)`` makes a shallow, blob-less clone of the GitHub repository at a branch or commit into
a temporary folder and reads that. Anything that stops the upstream from being read (no git, not a
repository, an unknown ref, no network) raises ``UpstreamError`` with a one-line message.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

GITHUB_REPOSITORY = "https://github.com/intercom/Intercom-OpenAPI"
DESCRIPTIONS = "descriptions"
SPEC_FILE = "api.intercom.io.yaml"
_INFO_VERSION = re.compile(rb"^info:\s*\n(?:[ \t]+.*\n|\s*\n)*?[ \t]+version:[ \t]*['\"]?([^'\"\s]+)", re.MULTILINE)


class UpstreamError(RuntimeError):
    """The upstream repository could not be read (one line, no traceback needed)."""


def _git(repo: Path, *args: str, timeout: float = 300.0) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError:
        raise UpstreamError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise UpstreamError(f"git {args[0]} timed out after {timeout:.0f} s") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UpstreamError(f"git {args[0]} failed in {repo}: {message[-1] if message else done.returncode}")
    return done.stdout


def info_version(data: bytes) -> str | None:
    """``info.version`` of a description (read from the text: the whole YAML need not be parsed)."""
    match = _INFO_VERSION.search(data)
    return match.group(1).decode() if match else None


@dataclass
class Upstream:
    """One commit of the upstream repository, readable with ``read(path)``."""

    repo: Path
    commit: str
    label: str  # where it came from, for messages: the clone's path or the GitHub URL, and the ref
    _tmp: tempfile.TemporaryDirectory[str] | None = None

    @classmethod
    def local(cls, path: Path, ref: str = "HEAD") -> Upstream:
        if not path.is_dir():
            raise UpstreamError(f"upstream clone {path} does not exist")
        commit = _git(path, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").decode().strip()
        return cls(path, commit, f"{path} at {ref}")

    @classmethod
    def github(cls, ref: str = "main", url: str = GITHUB_REPOSITORY, timeout: float = 300.0) -> Upstream:
        """A shallow clone of ``url`` at ``ref`` (a branch, tag or full commit sha) in a temporary folder."""
        tmp = tempfile.TemporaryDirectory(prefix="intercom-openapi-")
        repo = Path(tmp.name)
        try:
            _git(repo, "init", "--quiet")
            _git(repo, "remote", "add", "origin", url)  # a named remote: blobs are fetched when read
            _git(repo, "fetch", "--quiet", "--depth=1", "--filter=blob:none", "origin", ref, timeout=timeout)
            commit = _git(repo, "rev-parse", "FETCH_HEAD^{commit}").decode().strip()
        except UpstreamError as exc:
            tmp.cleanup()
            raise UpstreamError(f"could not read {url} at {ref}: {exc}") from None
        return cls(repo, commit, f"{url} at {ref}", tmp)

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> Upstream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, path: str, commit: str | None = None) -> bytes:
        """The bytes of ``path`` at ``commit`` (default: this upstream's commit)."""
        return _git(self.repo, "cat-file", "blob", f"{commit or self.commit}:{path}")

    def has_commit(self, commit: str) -> bool:
        try:
            _git(self.repo, "cat-file", "-e", f"{commit}^{{commit}}")
        except UpstreamError:
            return False
        return True

    def files(self) -> set[str]:
        """Every file path under ``descriptions/`` at this commit."""
        return set(_git(self.repo, "ls-tree", "-r", "--name-only", self.commit, f"{DESCRIPTIONS}/").decode().split())

    def version_folders(self) -> list[str]:
        """The ``descriptions/<folder>`` names that hold an ``api.intercom.io.yaml`` at this commit."""
        return sorted(
            path.split("/")[1] for path in self.files() if path.count("/") == 2 and path.endswith("/" + SPEC_FILE)
        )

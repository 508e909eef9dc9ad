"""``make release-check``: what a release would upload, built and tried the way a user meets it.

1. ``python -m build``: the sdist and the wheel into a temporary folder, in build isolation as a release is
   built (``--no-isolation``: with this environment's hatchling instead, for machines without a package index);
2. ``twine check --strict`` on both;
3. a clean virtualenv with the wheel installed (``pip install``: its runtime dependencies come from the index)
   runs ``tools/wheel_smoke.py``: every API version package imported, the quick-start against ``FakeIntercom``;
4. the sizes: wheel (bytes, files), installed package without and with bytecode (per version package too),
   against the budget stated in the README (``Size budget``; the files' bytes, which do not depend on the file
   system; what ``du`` shows is printed beside them). Over budget fails, pointing at docs/releasing.md.

Exit 0 when everything passed; 1 with the failing step otherwise. Nothing is uploaded (the release workflow does
that, from a tag, with PyPI trusted publishing). ``--dist DIR`` keeps the built files there.
"""

from __future__ import annotations

import argparse
import compileall
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "intercom_async"
MB = 1_000_000
BUDGET = re.compile(
    r"wheel at most \*\*(?P<wheel>[\d.]+) MB\*\*, installed at most \*\*(?P<installed>[\d.]+) MB\*\* "
    r"\(\*\*(?P<compiled>[\d.]+) MB\*\* with bytecode\)"
)


class CheckFailed(Exception):
    """A step failed; the message names it."""


def budget(readme: Path = ROOT / "README.md") -> dict[str, float]:
    """The size budget in MB as the README states it (``wheel``, ``installed``, ``compiled``)."""
    match = BUDGET.search(readme.read_text(encoding="utf-8"))
    if match is None:
        raise CheckFailed(f"no size budget in {readme.name} (expected: {BUDGET.pattern!r})")
    return {key: float(value) for key, value in match.groupdict().items()}


def _run(step: str, args: list[str], **kwargs: object) -> str:
    started = time.monotonic()
    done = subprocess.run(args, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    took = time.monotonic() - started
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise CheckFailed(f"{step} failed (exit {done.returncode}):\n{tail}")
    print(f"ok  {step} ({took:.1f} s)")
    output: str = done.stdout
    return output


def _tree_size(folder: Path, *, bytecode: bool, on_disk: bool = False) -> int:
    """The files' bytes (``on_disk``: the blocks they take, as ``du`` counts; depends on the file system)."""
    return sum(
        (p.stat().st_blocks * 512 if on_disk else p.stat().st_size)
        for p in folder.rglob("*")
        if p.is_file() and (bytecode or ("__pycache__" not in p.parts and p.suffix != ".pyc"))
    )


def _mb(size: float) -> str:
    return f"{size / MB:.1f} MB"


def sizes(wheel: Path, site: Path, limits: dict[str, float]) -> list[str]:
    """Print the sizes; the budget lines that are exceeded (empty when within)."""
    with zipfile.ZipFile(wheel) as archive:
        files = len([i for i in archive.infolist() if not i.is_dir()])
    package = site / PACKAGE
    installed = _tree_size(package, bytecode=False)
    disk = _tree_size(package, bytecode=False, on_disk=True)
    compileall.compile_dir(str(package), quiet=1, workers=1)
    compiled = _tree_size(package, bytecode=True)
    compiled_disk = _tree_size(package, bytecode=True, on_disk=True)
    measured = {"wheel": wheel.stat().st_size, "installed": installed, "compiled": compiled}
    print(f"    wheel      {_mb(measured['wheel'])} ({files:,} files)              budget {limits['wheel']:g} MB")
    print(f"    installed  {_mb(installed)} without bytecode ({_mb(disk)} on disk)   budget {limits['installed']:g} MB")
    print(
        f"    installed  {_mb(compiled)} with bytecode ({_mb(compiled_disk)} on disk)     budget {limits['compiled']:g} MB"
    )
    versions = sorted(
        (p for p in package.iterdir() if p.is_dir() and (p / "operations.py").exists()),
        key=lambda p: -_tree_size(p, bytecode=True),
    )
    parts = [f"{p.name} {_mb(_tree_size(p, bytecode=False))} / {_mb(_tree_size(p, bytecode=True))}" for p in versions]
    print("    per version (without / with bytecode): " + ", ".join(parts))
    return [f"{key} {_mb(measured[key])} > {limits[key]:g} MB" for key in measured if measured[key] > limits[key] * MB]


def check(dist: Path, *, isolation: bool) -> None:
    limits = budget()
    py = sys.executable
    dist.mkdir(parents=True, exist_ok=True)
    for old in dist.glob("intercom_async-*"):
        old.unlink()
    build = [py, "-m", "build", "--sdist", "--wheel", "--outdir", str(dist), *([] if isolation else ["-n"]), str(ROOT)]
    _run("python -m build (sdist + wheel)", build)
    wheels, sdists = sorted(dist.glob("*.whl")), sorted(dist.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        raise CheckFailed(f"expected one wheel and one sdist in {dist}, found {[p.name for p in dist.iterdir()]}")
    _run("twine check --strict", [py, "-m", "twine", "check", "--strict", str(wheels[0]), str(sdists[0])])
    with tempfile.TemporaryDirectory(prefix="release-check-") as tmp:
        venv = Path(tmp) / "venv"
        _run("clean virtualenv", [py, "-m", "venv", str(venv)])
        vpy = str(venv / "bin" / "python")
        _run("pip install the wheel", [vpy, "-m", "pip", "install", "--quiet", "--no-compile", str(wheels[0])])
        site = Path(
            _run("site-packages", [vpy, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        smoke = _run(
            "import every version package, quick-start against FakeIntercom",
            [vpy, "-I", str(ROOT / "tools" / "wheel_smoke.py")],
            cwd=tmp,
            env=env,
        )
        print("\n".join(f"    {line.strip()}" for line in smoke.strip().splitlines()))
        print(f"ok  sizes ({wheels[0].name}):")
        over = sizes(wheels[0], site, limits)
    if over:
        raise CheckFailed(
            "over the size budget: " + "; ".join(over) + ". Split the version packages into optional "
            "distributions before the next release (docs/releasing.md, 'When the budget is exceeded')."
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python tools/release_check.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dist", type=Path, help="keep the built sdist and wheel in this folder")
    parser.add_argument("--no-isolation", action="store_true", help="build with the current environment's hatchling")
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        if args.dist is not None:
            check(args.dist, isolation=not args.no_isolation)
        else:
            with tempfile.TemporaryDirectory(prefix="release-dist-") as tmp:
                check(Path(tmp), isolation=not args.no_isolation)
    except CheckFailed as exc:
        print(f"release-check: {exc}", file=sys.stderr)
        return 1
    print(f"release-check passed in {time.monotonic() - started:.0f} s (nothing was uploaded)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

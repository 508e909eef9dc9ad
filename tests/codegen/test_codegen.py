"""The codegen pipeline: sha256-checked fetching, deterministic normalisation, and generated packages that
match, byte for byte, what regenerating from the pins produces."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from codegen import docs
from codegen import fetch as fetch_module
from codegen.fetch import FetchError, fetch
from codegen.generate import build, build_versions_module, load_spec
from codegen.normalize import RULES, normalise
from codegen.pins import Pin, default_version, load_pins

ROOT = Path(__file__).resolve().parents[2]


def _pin(tmp_path: Path, data: bytes, url: str = "http://127.0.0.1:9/spec.yaml", sha: str | None = None) -> Pin:
    pin = Pin(
        name="9.99",
        module="v9_99",
        commit="0" * 40,
        path="x.yaml",
        sha256=sha or hashlib.sha256(data).hexdigest(),
        url=url,
    )
    return pin


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setattr("codegen.pins.CACHE_DIR", tmp_path / "cache")
    return tmp_path / "cache"


def test_wrong_sha256_from_shared_stops_with_a_clear_message(tmp_path, cache):
    shared = tmp_path / "shared.yaml"
    shared.write_bytes(b"openapi: 3.0.1\n")
    pin = _pin(tmp_path, b"something else")
    with pytest.raises(FetchError) as info:
        fetch(pin, shared_file=shared)
    message = str(info.value)
    assert "sha256 mismatch for Intercom API 9.99" in message
    assert str(shared) in message
    assert pin.sha256 in message and hashlib.sha256(b"openapi: 3.0.1\n").hexdigest() in message
    assert not pin.cache_file.exists()


def test_download_fallback_is_checked_too(tmp_path, cache):
    body = b"openapi: 3.0.1\ninfo: {title: t, version: '9.99'}\npaths: {}\n"

    class Handler(http.server.BaseHTTPRequestHandler):
        served = 0

        def do_GET(self):
            Handler.served += 1
            self.send_response(200)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/spec.yaml"
        missing_shared = tmp_path / "no-such-shared.yaml"
        good = _pin(tmp_path, body, url=url)
        assert fetch(good, shared_file=missing_shared).read_bytes() == body
        assert fetch(good, shared_file=missing_shared).read_bytes() == body  # cached: no second download
        assert Handler.served == 1
        bad = Pin(**{**good.__dict__, "name": "9.98", "sha256": "f" * 64})
        with pytest.raises(FetchError, match=f"sha256 mismatch for Intercom API 9.98 from {url}"):
            fetch(bad, shared_file=missing_shared)
    finally:
        server.shutdown()
        server.server_close()


def test_unreachable_upstream_is_reported(tmp_path, cache):
    def refuse(url):
        raise OSError("connection refused")

    pin = _pin(tmp_path, b"x")
    with pytest.raises(FetchError, match="could not download Intercom API 9.99"):
        fetch_module.fetch(pin, shared_file=tmp_path / "missing.yaml", download=refuse)


def test_pins_match_the_shared_sources():
    sources = (ROOT.parent / "shared" / "openapi" / "SOURCES.md").read_text()
    for pin in load_pins():
        assert pin.commit in sources and pin.sha256 in sources and pin.path in sources
    assert default_version() == "2.16"


def test_every_rule_is_documented_and_normalisation_is_deterministic():
    for rule in RULES:
        assert rule.__doc__ and len(rule.__doc__.strip()) > 40, rule.__name__
    pin = next(p for p in load_pins() if p.name == "2.10")
    raw = load_spec(fetch(pin))
    first, report = normalise(raw)
    second, _ = normalise(raw)
    assert first == second
    assert report["define_dangling_component_refs"] == ["custom_attributes"]
    assert "custom_attributes" in first["components"]["schemas"]
    assert raw != first  # the input is not modified in place
    assert "custom_attributes" not in raw["components"]["schemas"]


@pytest.mark.parametrize("pin", load_pins(), ids=lambda p: p.name)
def test_regeneration_is_byte_for_byte_stable(pin, tmp_path):
    out = tmp_path / pin.module
    counts = build(pin, out, quiet=True)
    # the generated docs (docs/reference/<version>.md, docs/migration/<version>.md) come from the same run
    for rel, text in docs.version_pages(pin, counts["infos"], counts["model_docs"]).items():
        assert (ROOT / "docs" / rel).read_text(encoding="utf-8") == text, f"docs/{rel} is stale: run make generate"
    committed = ROOT / "intercom_async" / pin.module
    generated = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    existing = {
        p.relative_to(committed): p.read_bytes()
        for p in committed.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert sorted(generated) == sorted(existing)
    different = [str(k) for k in generated if generated[k] != existing[k]]
    assert different == [], f"regenerating {pin.name} changes: {different[:10]}"


def test_versions_module_is_stable(tmp_path):
    out = tmp_path / "_versions.py"
    build_versions_module(load_pins(), default_version(), out)
    assert out.read_bytes() == (ROOT / "intercom_async" / "_versions.py").read_bytes()
    for rel, text in docs.index_pages(load_pins(), default_version()).items():
        assert (ROOT / "docs" / rel).read_text(encoding="utf-8") == text, f"docs/{rel} is stale: run make generate"

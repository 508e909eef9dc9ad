"""The documentation site as a reader gets it: built once with ``mkdocs build --strict`` (into a temporary folder,
or ``site/`` when it is newer than everything the site is built from), then checked page by page.

* Every internal link resolves: the target page exists and so does its anchor (an ``id`` in that page).
* No link is a pseudo link of Intercom's docs platform (``ref:...``) or a path relative to Intercom's site
  (``/docs/references/...``): spec prose reaches the site through the ``absolute_reference_links`` rule.
* The navigation lists the default version first, then the others newest first.
* Search, run with Material's own search worker (under Node) on the built index: ``contacts`` finds the default
  version's methods first, ``reply`` finds ``client.conversations.reply`` before ``client.fin_agent.reply_to_fin``.
* Every model and enum of every version has its entry on the version's model page.

The build takes 8-20 s on a 2-CPU machine (six versions, about 3,000 model entries).
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

import intercom_async

ROOT = Path(__file__).resolve().parents[1]
INPUTS = [ROOT / "README.md", ROOT / "CHANGELOG.md", ROOT / "mkdocs.yml", ROOT / "codegen" / "mkdocs_hooks.py"]

SEARCH = r"""
const fs = require("fs"), path = require("path");
const {site, queries} = JSON.parse(process.env.SEARCH_ARGS);
const dir = path.join(site, "assets/javascripts/workers");
const worker = fs.readdirSync(dir).find(f => /^search\..*\.min\.js$/.test(f));
let handler = null; const out = [];
globalThis.self = globalThis;
globalThis.addEventListener = (type, fn) => { handler = fn; };
globalThis.postMessage = message => out.push(message);
eval(fs.readFileSync(path.join(dir, worker), "utf8"));
const index = JSON.parse(fs.readFileSync(path.join(site, "search/search_index.json"), "utf8"));
index.options = index.options || {suggest: false};
const send = async message => {
  out.length = 0; await handler({data: message});
  while (!out.length) await new Promise(resolve => setTimeout(resolve, 1));
  return out[0];
};
(async () => {
  await send({type: 0, data: index});  // SETUP
  const found = {};
  for (const query of queries) {
    const answer = await send({type: 2, data: query});  // QUERY
    found[query] = answer.data.items.map(group => group.map(item => item.location));
  }
  console.log(JSON.stringify(found));
})();
"""


def _newest_input() -> float:
    files = [*INPUTS, *(p for p in (ROOT / "docs").rglob("*") if p.is_file())]
    return max(p.stat().st_mtime for p in files)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    built = ROOT / "site"
    index = built / "index.html"
    if index.exists() and index.stat().st_mtime > _newest_input() and (built / "search").is_dir():
        return built
    out = tmp_path_factory.mktemp("site")
    mkdocs = Path(sys.executable).with_name("mkdocs")
    command = [str(mkdocs) if mkdocs.exists() else "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)]
    started = time.monotonic()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"mkdocs build --strict: {time.monotonic() - started:.1f} s")
    return out


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if values.get("id"):
            self.ids.add(str(values["id"]))
        if tag == "a" and values.get("href") is not None:
            self.links.append(str(values["href"]))


def _pages(site: Path) -> Iterator[Path]:
    for page in sorted(site.rglob("*.html")):
        # 404.html links from the site's root (mkdocs writes it for any depth): not a page a link leads to
        if "assets" not in page.relative_to(site).parts and page.name != "404.html":
            yield page


def _parse(page: Path) -> _Page:
    parser = _Page()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def test_every_internal_link_and_anchor_resolves(site: Path) -> None:
    parsed = {page: _parse(page) for page in _pages(site)}
    assert len(parsed) > 30
    broken: list[str] = []
    pseudo: list[str] = []
    checked = 0
    for page, content in parsed.items():
        where = page.relative_to(site)
        for href in content.links:
            parts = urlsplit(href)
            if href.startswith("ref:") or parts.scheme == "ref" or href.startswith("/docs/"):
                pseudo.append(f"{where}: {href}")
                continue
            if parts.scheme or parts.netloc or href.startswith("/"):
                assert parts.scheme in ("http", "https", "mailto"), f"{where}: {href}"
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            checked += 1
            if target not in parsed:
                if not target.exists():
                    broken.append(f"{where}: {href} (no such page)")
                continue
            if parts.fragment and unquote(parts.fragment) not in parsed[target].ids:
                broken.append(f"{where}: {href} (no such anchor)")
    assert pseudo == []
    assert broken == [], f"{len(broken)} broken links, e.g. {broken[:20]}"
    assert checked > 10_000  # the reference and model pages link to each other thousands of times


def test_no_link_escapes_to_intercoms_relative_paths(site: Path) -> None:
    for version in ("2.16", "Preview"):
        text = (site / "reference" / f"{version}.html").read_text(encoding="utf-8")
        assert 'href="ref:' not in text and 'href="/docs/' not in text
    ticket_types = "https://developers.intercom.com/docs/references/2.16/rest-api/api.intercom.io/ticket-types/"
    assert ticket_types + "listtickettypes" in (site / "models" / "2.16.html").read_text(encoding="utf-8")


def _nav_order(site: Path, folder: str) -> list[str]:
    links = _parse(site / "index.html").links
    order: list[str] = []
    for href in links:
        match = re.fullmatch(rf"{folder}/(.+)\.html", href)
        if match and match.group(1) != "index" and match.group(1) not in order:
            order.append(match.group(1))
    return order


def test_navigation_lists_the_default_version_first_then_newest_first(site: Path) -> None:
    expected = ["2.16", "2.14", "2.12", "2.10", "Preview", "Unstable"]
    assert intercom_async.DEFAULT_VERSION == expected[0]
    for folder in ("reference", "models", "migration", "python-intercom"):
        assert _nav_order(site, folder) == expected, folder


def _search(site: Path, *queries: str) -> dict[str, list[list[str]]]:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI", "").lower() == "true":  # as the Redis and Prism tests: CI fails, never skips
            pytest.fail("node is required in CI (Material's search worker runs under it here)")
        pytest.skip("node not found: Material's search worker cannot run")
    env = {**os.environ, "SEARCH_ARGS": json.dumps({"site": str(site), "queries": queries})}
    result = subprocess.run([node, "-e", SEARCH], capture_output=True, text=True, timeout=300, check=False, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    found: dict[str, list[list[str]]] = json.loads(result.stdout)
    return found


def test_search_ranks_the_default_version_and_the_method_first(site: Path) -> None:
    found = _search(site, "contacts", "reply", "notes.create", "AdminReplyConversationRequest")
    # Material groups the results by page; the first group is what a reader sees first
    assert found["contacts"][0][0].startswith("reference/2.16.html#clientcontacts"), found["contacts"][:3]
    pages = [group[0].split("#")[0] for group in found["contacts"]]
    assert pages.index("reference/2.16.html") < pages.index("reference/Preview.html")

    flat = [location for group in found["reply"] for location in group]
    assert flat[0] == "reference/2.16.html#clientconversationsreply", flat[:5]
    assert flat.index("reference/2.16.html#clientconversationsreply") < flat.index(
        "reference/2.16.html#clientfin_agentreply_to_fin"
    )
    assert found["notes.create"][0][0] == "reference/2.16.html#clientnotescreate"
    top = [location for group in found["AdminReplyConversationRequest"][:2] for location in group]
    assert "models/2.16.html#adminreplyconversationrequest" in top


@pytest.mark.parametrize("version", list(intercom_async.VERSIONS))
def test_every_model_and_enum_has_an_entry(version: str) -> None:
    models = importlib.import_module(f"{intercom_async.VERSIONS[version].module}.models")
    exported = set(models.__all__)
    forms = {f"{name}{suffix}" for name in exported for suffix in ("Dict", "Fields")}  # a request model's dict forms
    names = exported - forms
    page = (ROOT / "docs" / "models" / f"{version}.md").read_text(encoding="utf-8")
    entries = set(re.findall(r"^## (\w+)$", page, flags=re.M))
    assert names == entries
    assert len(entries) > 250

"""mkdocs hooks for ``make docs`` (``hooks:`` in mkdocs.yml): nothing in the site's config lists versions.

* A nav entry that names a folder (``reference/``, ``models/``, ``migration/``, ``api-changes/``) becomes the
  pages in it: ``index.md`` first, then one page per pinned version, the default version first and the others
  newest first (stable versions by number, then the pre-release lines, newest pin first: ``codegen/docs.py``'s
  ``site_order``), then the rest by name. A folder that does not exist (yet) is left out, so the API change
  reports appear in the nav as soon as they are generated.
* Search ranks the default version first: the pages generated per version get Material's ``search.boost``,
  the default version's method reference the most (``BOOST``), its model, migration and python-intercom pages
  half that, and every page of another version an eighth of what the default's page gets (front matter that
  sets a boost wins). With the separator of ``mkdocs.yml`` (words of ``client.conversations.reply`` and of
  ``AdminReplyConversationRequest`` indexed apart), ``contacts`` finds 2.16's methods first and ``reply``
  ``client.conversations.reply`` first (``tests/test_site.py`` runs Material's search on the built index).
* The README is the site's home page (``index.md``) and the CHANGELOG its ``changelog.md``, generated from the
  files at the repository's root; a link into ``docs/`` is rewritten to stay inside the site.

mkdocs loads this file by path (not as part of the ``codegen`` package), so it imports nothing from it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tomllib
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
ROOT_PAGES = {"index.md": "README.md", "changelog.md": "CHANGELOG.md"}
VERSION_FOLDERS = ("reference", "models", "migration", "python-intercom")  # one generated page per version
BOOST = {"reference": 4.0, "models": 2.0, "migration": 2.0, "python-intercom": 2.0}  # the default version's pages
OTHER_VERSIONS = 1 / 8  # factor for the pages of the other versions


def _pins() -> dict[str, Any]:
    return tomllib.loads((ROOT / "openapi" / "versions.toml").read_text(encoding="utf-8"))


def _versions() -> list[str]:
    """The pinned versions in the site's order (the same rule as ``codegen/docs.py``'s ``site_order``)."""
    data = _pins()
    listed = [v["name"] for v in data["version"]]
    default = data["default"]

    def key(name: str) -> tuple[int, tuple[int, ...], int]:
        if name == default:
            return (0, (), 0)
        if re.fullmatch(r"\d+(?:\.\d+)*", name):
            return (1, tuple(-int(part) for part in name.split(".")), 0)
        return (2, (), -listed.index(name))

    return sorted(listed, key=key)


def _folder_pages(docs_dir: Path, folder: str) -> list[Any]:
    """The folder's pages: ``index.md`` as "Overview", one page per version titled with the version's name
    (pins order), then the others by name, titled by their first heading."""
    base = docs_dir / folder
    if not base.is_dir():
        return []
    versions = _versions()
    order = {"index": -1} | {name: i for i, name in enumerate(versions)}
    stems = sorted((p.stem for p in base.glob("*.md")), key=lambda stem: (order.get(stem, len(order)), stem))
    entries: list[Any] = []
    for stem in stems:
        page = f"{folder}{stem}.md"
        if stem == "index":
            entries.append({"Overview": page})
        elif stem in versions:
            entries.append({stem: page})
        else:
            entries.append(page)
    return entries


def _expand(entry: Any, docs_dir: Path) -> Any:
    """A nav entry with every folder (a string ending in ``/``) replaced by its pages; ``None`` when empty."""
    if isinstance(entry, str):
        if not entry.endswith("/"):
            return entry
        return _folder_pages(docs_dir, entry) or None
    if isinstance(entry, list):
        out: list[Any] = []
        for item in entry:
            expanded = _expand(item, docs_dir)
            if isinstance(item, str) and item.endswith("/") and isinstance(expanded, list):
                out.extend(expanded)  # a folder inside a list: its pages, flat
            elif expanded is not None:
                out.append(expanded)
        return out or None
    if isinstance(entry, dict):
        out_dict = {title: _expand(value, docs_dir) for title, value in entry.items()}
        kept = {title: value for title, value in out_dict.items() if value is not None}
        return kept or None
    return entry


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    nav = config.nav or []
    config.nav = _expand(nav, Path(config.docs_dir)) or []
    return config


def _site_text(text: str) -> str:
    """Root Markdown made to work inside the site: ``](docs/x.md)`` -> ``](x.md)``."""
    return re.sub(r"\]\(docs/", "](", text)


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Material's per-page search boost for the generated per-version pages (see the module docstring)."""
    folder, _, name = page.file.src_uri.rpartition("/")
    stem = name.removesuffix(".md")
    if folder in VERSION_FOLDERS and stem in _versions() and "search" not in page.meta:
        boost = BOOST[folder] * (1 if stem == _pins()["default"] else OTHER_VERSIONS)
        page.meta["search"] = {"boost": boost}
    return markdown


def on_files(files: Files, config: MkDocsConfig) -> Files:
    for uri, source in ROOT_PAGES.items():
        if files.get_file_from_path(uri) is None:
            text = _site_text((ROOT / source).read_text(encoding="utf-8"))
            files.append(File.generated(config, uri, content=text))
    return files

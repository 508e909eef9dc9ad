"""SDK names: which group (``client.<group>``) and method each operation gets.

One name per operation, the same in every version that has it, decided in this order:

1. ``OVERRIDES`` below: a handful of routes whose rule-made name reads badly, each with its reason.
2. Intercom's own SDK naming table (the pinned fern overrides, ``x-fern-sdk-group-name`` and
   ``x-fern-sdk-method-name``): ``GET /contacts/{contact_id}`` is ``contacts.find``,
   ``GET /help_center/collections`` is ``help_centers.collections.list``. Routes are matched by method and
   path with parameter names ignored, since they differ between versions (``{id}`` vs ``{contact_id}``).
3. The rule, for every other operation:
   * group: the top-level group Intercom's table gives most of the operations that share this operation's
     first tag (tag ``Data Events`` -> ``events``); a tag the table never names is its own group, snake_case;
   * method: the operationId in snake_case with the group's noun dropped once (singular or plural, e.g.
     ``listHelpCenterRedirects`` in ``help_centers`` -> ``list_redirects``; ``attachTagToArticle`` in
     ``articles`` -> ``attach_tag``, a preposition left dangling at the end goes too). If nothing would be
     left, or the short name is taken in the group, the full snake_case operationId is used.

``NameTable.assign`` checks coverage: every operation gets exactly one name, a group never holds two methods
of the same name, a method never shadows a nested group, and every name is a valid Python identifier.
Anything else stops generation with the operations concerned named.
"""

from __future__ import annotations

import keyword
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .normalize import HTTP_METHODS

# (METHOD, path with parameter names removed) -> (group path, method name, reason)
OVERRIDES: dict[tuple[str, str], tuple[tuple[str, ...], str, str]] = {
    ("GET", "/companies/{}/notes"): (("notes",), "list_for_company", "the rule gives notes.list_company"),
    ("POST", "/companies/{}/notes"): (("notes",), "create_for_company", "the rule gives notes.create_company"),
    ("GET", "/contacts/{}/banners"): (("banners",), "list_for_contact", "the rule gives banners.list_contact"),
    ("POST", "/contacts/{}/banners/{}/dismiss"): (("banners",), "dismiss", "the rule gives banners.dismiss_contact"),
    ("GET", "/conversations/{}/side_conversations"): (
        ("conversations",),
        "list_side_conversations",
        "the rule gives conversations.list_side",
    ),
    ("GET", "/export/reporting_data/get_datasets"): (
        ("data_export",),
        "list_reporting_datasets",
        "no operationId upstream; the synthesised one reads get_export_reporting_data_get_datasets",
    ),
    ("POST", "/export/reporting_data/enqueue"): (
        ("data_export",),
        "enqueue_reporting_data",
        "no operationId upstream; the synthesised one reads post_export_reporting_data_enqueue",
    ),
}

PREPOSITIONS = frozenset({"to", "from", "for", "of", "on", "in", "with", "by", "into"})
RESERVED = frozenset({"with_raw_response", "request"})


class NamingError(RuntimeError):
    """Two operations would share a name, or a name is not usable in Python."""


def words(text: str) -> list[str]:
    """``ListContactMergeHistory`` / ``help_center`` / ``listAllActivityLogs`` -> lower-case words."""
    text = re.sub(r"[^0-9A-Za-z]+", "_", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    return [w for w in text.lower().split("_") if w]


def snake(text: str) -> str:
    return "_".join(words(text))


def route(method: str, path: str) -> tuple[str, str]:
    """The identity of an operation across versions: method and path without parameter names."""
    return method.upper(), re.sub(r"{[^}]+}", "{}", path)


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 3:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def drop_noun(op_words: list[str], group: str) -> list[str]:
    """``op_words`` without the group's noun (first occurrence, singular or plural), or unchanged."""
    noun = group.split("_")
    forms = [noun, [*noun[:-1], _singular(noun[-1])], [_singular(w) for w in noun]]
    for form in forms:
        n = len(form)
        for i in range(len(op_words) - n + 1):
            if op_words[i : i + n] == form and len(op_words) > n:
                rest = op_words[:i] + op_words[i + n :]
                if i + n == len(op_words) and len(rest) > 1 and rest[-1] in PREPOSITIONS:
                    rest = rest[:-1]  # attachTagToArticle -> attach_tag, not attach_tag_to
                return rest
    return op_words


@dataclass(frozen=True)
class Name:
    group: tuple[str, ...]  # ("help_centers", "collections")
    method: str  # "list"
    source: str  # "table", "rule", "override" or "rule (full operationId)"

    @property
    def qualname(self) -> str:
        return ".".join((*self.group, self.method))


def load_table(documents: Iterable[dict[str, Any]]) -> dict[tuple[str, str], tuple[tuple[str, ...], str]]:
    """``route -> (group path, method)`` from the fern override documents (later documents add)."""
    table: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {}
    for document in documents:
        for path, item in (document.get("paths") or {}).items():
            for method, op in (item or {}).items():
                if not isinstance(op, dict) or "x-fern-sdk-method-name" not in op:
                    continue
                groups = op.get("x-fern-sdk-group-name") or []
                if isinstance(groups, str):
                    groups = [groups]
                group = tuple(snake(g) for g in groups)
                key = route(method, path)
                entry = (group, snake(op["x-fern-sdk-method-name"]))
                if key in table and table[key] != entry:
                    raise NamingError(f"the naming table names {key[0]} {key[1]} twice: {table[key]} and {entry}")
                table[key] = entry
    return table


class NameTable:
    """Names for the operations of one spec (see the module docstring for the order of decisions)."""

    def __init__(self, table: dict[tuple[str, str], tuple[tuple[str, ...], str]]) -> None:
        self.table = table

    def assign(self, spec: dict[str, Any]) -> dict[str, Name]:
        """``{operationId: Name}`` for every operation of a normalised spec."""
        ops = []
        for path, item in spec.get("paths", {}).items():
            for method in HTTP_METHODS:
                if method in item:
                    op = item[method]
                    ops.append((route(method, path), op["operationId"], (op.get("tags") or ["default"])[0]))
        tag_groups: dict[str, Counter[str]] = {}
        for key, _, tag in ops:
            if key in self.table:
                tag_groups.setdefault(tag, Counter())[self.table[key][0][0]] += 1

        fixed: dict[str, Name] = {}
        pending: list[tuple[str, tuple[str, ...], list[str]]] = []
        for key, op_id, tag in ops:
            if key in OVERRIDES:
                group, method, _reason = OVERRIDES[key]
                fixed[op_id] = Name(group, method, "override")
            elif key in self.table:
                group, method = self.table[key]
                fixed[op_id] = Name(group, method, "table")
            else:
                counts = tag_groups.get(tag)
                top = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0] if counts else snake(tag)
                pending.append((op_id, (top,), words(op_id)))

        taken = {(n.group, n.method) for n in fixed.values()}
        names = dict(fixed)
        short = Counter((group, "_".join(drop_noun(w, group[-1]))) for _, group, w in pending)
        for op_id, group, op_words in sorted(pending):
            method = "_".join(drop_noun(op_words, group[-1]))
            if (group, method) in taken or short[(group, method)] > 1:
                names[op_id] = Name(group, "_".join(op_words), "rule (full operationId)")
            else:
                names[op_id] = Name(group, method, "rule")
            taken.add((group, names[op_id].method))
        self.check(names)
        return names

    @staticmethod
    def check(names: dict[str, Name]) -> None:
        problems = []
        by_name: dict[tuple[tuple[str, ...], str], list[str]] = {}
        groups = {n.group[:i] for n in names.values() for i in range(1, len(n.group) + 1)}
        for op_id, name in names.items():
            by_name.setdefault((name.group, name.method), []).append(op_id)
            for part in (*name.group, name.method):
                if not part.isidentifier() or keyword.iskeyword(part) or part.startswith("_") or part in RESERVED:
                    problems.append(f"{op_id}: {name.qualname!r} is not a usable Python name")
            if (*name.group, name.method) in groups:
                problems.append(f"{op_id}: method {name.qualname} would shadow the group of the same name")
        for (group, method), op_ids in sorted(by_name.items()):
            if len(op_ids) > 1:
                problems.append(f"{'.'.join((*group, method))} is claimed by {', '.join(sorted(op_ids))}")
        if problems:
            raise NamingError(
                "SDK names clash (add an entry to codegen/names.py OVERRIDES):\n  " + "\n  ".join(problems)
            )


def legacy_name(tag: str, operation_id: str) -> str:
    """The 0.1 name, ``<first tag>.<operationId>`` in snake_case, for the migration table."""
    return f"{snake(tag)}.{snake(operation_id)}"

"""Paging facts of every paginated Intercom operation: inferred from the spec, corrected by ONE table.

Intercom pages its lists in six ways. Most operations say how in the spec, and ``infer`` reads it:

  shape        request side (declared, or added by the table)      response side
  cursor       ``?starting_after=``                                   ``pages.next.starting_after``
  body_cursor  ``{"pagination": {"starting_after"}}`` in the body      same
  page         ``?page=``                                            ``pages{page, total_pages}`` or top level
  body_page    ``{"page"}`` in the body                               same
  scroll       ``?scroll_param=``                                     ``scroll_param``
  link         (anything)                                             ``pages.next`` declared as a string (a URL)

Items are the response's one top-level array (``data``, ``conversations``...), or the one array inside an
object ``data`` (``data.articles``). An operation "looks paginated" when its success response declares, or
its examples show, a top-level ``pages``, ``total_pages`` or ``scroll_param``; if such an operation matches
no shape, generation stops naming the operation and what was seen (unless ``NOT_PAGINATED`` explains it).

``TABLE`` keeps only where the real API differs from the spec, each entry with its reason: paging
parameters the API accepts but the spec does not declare, items under a key the schema does not name, a URL
where the schema promises a cursor. The templates only lay out what ``annotate`` derives; the runtime
(``intercom_async/_paging.py``) only follows the ``Pagination`` descriptor generated into ``OPERATIONS``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, replace
from typing import Any, NoReturn

from openapi_python_client.parser.properties import ListProperty, ModelProperty

from . import emit
from .errors import GenerationError
from .normalize import operations

CURSOR, BODY_CURSOR, PAGE, BODY_PAGE, SCROLL, LINK = "cursor", "body_cursor", "page", "body_page", "scroll", "link"
SHAPES = (CURSOR, BODY_CURSOR, PAGE, BODY_PAGE, SCROLL, LINK)

# Type of each paging query parameter the table may add to a method's signature.
PARAM_TYPES = {"per_page": "int", "page": "int", "starting_after": "str", "scroll_param": "str"}
PARAM_DOCS = {
    "per_page": "results per page",
    "page": "the page to fetch (1-based)",
    "starting_after": "the cursor to start after (``pages.next.starting_after`` of the previous page)",
    "scroll_param": "the scroll to continue (``scroll_param`` of the previous page)",
}


@dataclass(frozen=True)
class Paging:
    """How one operation pages.

    shape:      one of ``SHAPES``
    items:      dotted JSON path of the item list in a page (``data``, ``conversations``, ``data.articles``)
    item_model: model class of one item, when the spec's items are missing or of the wrong model
    meta:       dotted JSON path of the object holding ``page``/``total_pages``/``next`` (``""``: top level)
    undeclared: paging query parameters the API accepts but the spec does not declare (added to the method)
    api:        where the real API differs from the spec ("" when the spec is right)
    """

    shape: str
    items: str = "data"
    item_model: str | None = None
    meta: str = "pages"
    undeclared: tuple[str, ...] = ()
    api: str = ""


@dataclass(frozen=True)
class Fix:
    """Where the real API differs from the spec for one operation (``None``: as inferred). ``reason`` is
    required: it is what the generated registry and the docs say about the difference."""

    reason: str
    shape: str | None = None
    items: str | None = None
    item_model: str | None = None
    meta: str | None = None
    undeclared: tuple[str, ...] = ()


_PAGE_PARAMS = ("page", "per_page")
_CURSOR_PARAMS = ("per_page", "starting_after")

TABLE: dict[str, Fix] = {
    # ---------------------------------------------------------------- paging parameters the spec leaves out
    "ListContacts": Fix(
        "GET /contacts declares no query parameters; the API takes per_page (max 150) and starting_after.",
        undeclared=_CURSOR_PARAMS,
    ),
    "ListAttachedContacts": Fix(
        "GET /companies/{id}/contacts declares no paging parameters (its example shows page numbers only); the "
        "API answers with a cursor (pages.next.starting_after) and takes per_page and starting_after.",
        undeclared=_CURSOR_PARAMS,
    ),
    "listArticles": Fix(
        "GET /articles declares no query parameters; the API takes page, per_page.", undeclared=_PAGE_PARAMS
    ),
    "listAllCollections": Fix(
        "GET /help_center/collections declares no query parameters; the API takes page, per_page.",
        undeclared=_PAGE_PARAMS,
    ),
    "listNotes": Fix(
        "GET /contacts/{id}/notes declares no query parameters; the API takes page, per_page.", undeclared=_PAGE_PARAMS
    ),
    "listCompanyNotes": Fix(
        "GET /companies/{company_id}/notes declares no query parameters; the API takes page, per_page.",
        undeclared=_PAGE_PARAMS,
    ),
    "listActivityLogs": Fix(
        "GET /admins/activity_logs declares only the date range; the API takes page, per_page.",
        undeclared=_PAGE_PARAMS,
    ),
    "listNewsItems": Fix(
        "GET /news/news_items declares no query parameters; the API takes page, per_page.", undeclared=_PAGE_PARAMS
    ),
    "listNewsfeeds": Fix(
        "GET /news/newsfeeds declares no query parameters; the API takes page, per_page.", undeclared=_PAGE_PARAMS
    ),
    "listLiveNewsfeedItems": Fix(
        "GET /news/newsfeeds/{id}/items declares no query parameters; the API takes page, per_page.",
        undeclared=_PAGE_PARAMS,
    ),
    "listInternalArticles": Fix(
        "GET /internal_articles declares no query parameters; the API takes page, per_page.", undeclared=_PAGE_PARAMS
    ),
    "listCompaniesForAContact": Fix(
        "GET /contacts/{id}/companies declares no query parameters; the API takes page, per_page.",
        undeclared=_PAGE_PARAMS,
    ),
    # ---------------------------------------------------------------- items the schema misplaces
    "listConversations": Fix(
        "The API returns the conversations under `conversations`; the 2.10 and 2.12 schema "
        "(paginated_response) says `data`, of news items and newsfeeds.",
        items="conversations",
        item_model="Conversation",
    ),
    # ---------------------------------------------------------------- a URL where the schema promises a cursor
    "searchArticles": Fix(
        "The schema says cursor pages; the API answers pages.next as a URL (…/articles/search?…&page=2) and "
        "takes page, per_page.",
        shape=LINK,
        undeclared=_PAGE_PARAMS,
    ),
    "searchInternalArticles": Fix(
        "As searchArticles: pages.next is a URL; page, per_page are accepted, undeclared.",
        shape=LINK,
        undeclared=_PAGE_PARAMS,
    ),
    "lisDataEvents": Fix(
        "GET /events is documented with the summary response (event.summary, no pages); listing answers "
        "event.list: DataEvent items under `events` and a `pages.next` URL. per_page is accepted, undeclared. "
        "(With summary=true, `await` the call for the DataEventSummary: there is nothing to page.)",
        shape=LINK,
        items="events",
        item_model="DataEvent",
        meta="pages",
        undeclared=("per_page",),
    ),
    "listSegments": Fix(
        "`pages` is declared as a bare object that 'may be empty, indicating no further pages'; followed "
        "as a link when it carries `next`, otherwise the single page is the whole list.",
        shape=LINK,
        meta="pages",
    ),
}

_ASSUMED_PAGE = (
    "The spec declares no paging parameters; page and per_page are assumed, as Intercom's page-numbered lists "
    "take them (inferred, not in the table)."
)

# Operations whose response has a pages object (or total_pages / scroll_param) but that do not paginate.
NOT_PAGINATED: dict[str, str] = {}


# ------------------------------------------------------------------ inference from the spec


def _schema(spec: dict[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """A schema with ``$ref`` followed and ``allOf`` merged (properties only)."""
    if not isinstance(schema, dict) or depth > 12:
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return _schema(spec, spec["components"]["schemas"].get(ref.rsplit("/", 1)[1]), depth + 1)
    if "allOf" in schema or "oneOf" in schema and not schema.get("properties"):
        props: dict[str, Any] = {}
        for part in schema.get("allOf") or schema.get("oneOf") or ():
            props.update(_schema(spec, part, depth + 1).get("properties") or {})
        props.update(schema.get("properties") or {})
        return {**schema, "properties": props}
    return schema


def _props(spec: dict[str, Any], schema: Any) -> dict[str, dict[str, Any]]:
    return {k: _schema(spec, v) for k, v in (_schema(spec, schema).get("properties") or {}).items()}


def _is_object(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" or bool(schema.get("properties"))


def _success_schema(op: dict[str, Any]) -> Any:
    for status, response in sorted((op.get("responses") or {}).items()):
        if str(status).startswith("2"):
            media = ((response or {}).get("content") or {}).get("application/json") or {}
            return media.get("schema")
    return None


def _one_array(fields: dict[str, dict[str, Any]], path: str) -> str | None:
    """The one array field; among several, the one named like a segment of the path (``/articles/search``:
    ``articles``, not ``highlights``)."""
    arrays = [k for k, v in fields.items() if v.get("type") == "array"]
    if len(arrays) > 1:
        arrays = [k for k in arrays if k in path.strip("/").split("/")]
    return arrays[0] if len(arrays) == 1 else None


def _items_path(spec: dict[str, Any], response: dict[str, dict[str, Any]], path: str) -> str | None:
    found = _one_array(response, path)
    if found is not None:
        return found
    data = response.get("data", {})
    if _is_object(data) and not any(v.get("type") == "array" for v in response.values()):
        inner = _one_array(_props(spec, data), path)
        if inner is not None:
            return f"data.{inner}"
    return None


def infer(spec: dict[str, Any], path: str, op: dict[str, Any], undeclared: tuple[str, ...] = ()) -> tuple[Paging, str]:
    """How ``op`` pages according to its spec (plus paging parameters the table adds), and what was seen.
    ``shape`` is ``""`` when no known shape matches; ``items`` is ``""`` when no item list is found."""
    query = {str(p.get("name")) for p in op.get("parameters") or () if isinstance(p, dict) and p.get("in") == "query"}
    query |= set(undeclared)
    body_schema = (((op.get("requestBody") or {}).get("content") or {}).get("application/json") or {}).get("schema")
    body = _props(spec, body_schema) if body_schema else {}
    response = _props(spec, _success_schema(op))
    pages = _props(spec, response["pages"]) if _is_object(response.get("pages", {})) else {}
    next_ = pages.get("next", {})
    next_is_url = next_.get("type") == "string"
    next_is_cursor = "starting_after" in _props(spec, next_) if _is_object(next_) else False
    meta = "pages" if pages else ""
    numbered = bool({"page", "total_pages"} & set(pages or response))
    seen = (
        f"query parameters {sorted(query) or 'none'}, body fields {sorted(body) or 'none'}, response fields "
        f"{sorted(response) or 'none'}, pages fields {sorted(pages) or 'none'}"
    )
    items = _items_path(spec, response, path)
    shape = None
    if "scroll_param" in query and "scroll_param" in response:
        shape = SCROLL
    elif "starting_after" in query and next_is_cursor:
        shape = CURSOR
    elif "starting_after" in _props(spec, body.get("pagination")) and next_is_cursor:
        shape = BODY_CURSOR
    elif next_is_url:
        shape = LINK
    elif "page" in query and numbered:
        shape = PAGE
    elif "page" in body and numbered:
        shape = BODY_PAGE
    elif numbered and not query & set(PARAM_TYPES) and "pagination" not in body:
        # Page numbers answered, no paging parameter declared: Intercom's page-numbered lists take page and
        # per_page all the same (the table records 10 such operations); a wrong guess fails loudly at run time
        # (the same page twice raises PaginationError), never silently.
        return Paging(PAGE, items=items or "", meta=meta, undeclared=_PAGE_PARAMS, api=_ASSUMED_PAGE), seen
    return Paging(shape or "", items=items or "", meta=meta), seen


def facts(version: str, spec: dict[str, Any]) -> dict[str, Paging]:
    """``{operationId: Paging}`` for every paginated operation of a normalised spec. Fails generation when an
    operation looks paginated but matches no shape, or when a table entry contradicts what it corrects."""
    evidence = paging_evidence(spec)
    out: dict[str, Paging] = {}
    problems = []
    for path, method, op in operations(spec):
        if "operationId" not in op:
            continue
        op_id = op["operationId"]
        fix = TABLE.get(op_id)
        inferred, seen = infer(spec, path, op, fix.undeclared if fix else ())
        if fix is None:
            if not inferred.shape:
                if op_id in evidence and op_id not in NOT_PAGINATED:
                    problems.append(f"  {op_id} ({method.upper()} {path}): {evidence[op_id]}, but {seen}")
                continue
            if not inferred.items:
                problems.append(f"  {op_id} ({method.upper()} {path}): {inferred.shape} paging, no item list in {seen}")
                continue
            out[op_id] = inferred
            continue
        shape = fix.shape or inferred.shape
        if shape not in SHAPES:
            problems.append(f"  {op_id}: the table names no shape and none is inferred ({seen})")
            continue
        paging = replace(
            inferred,
            shape=shape,
            items=fix.items or inferred.items,
            item_model=fix.item_model,
            meta=inferred.meta if fix.meta is None else fix.meta,
            undeclared=fix.undeclared,
            api=fix.reason,
        )
        if not paging.items:
            problems.append(f"  {op_id}: no item list inferred and none in the table ({seen})")
            continue
        out[op_id] = paging
    if problems:
        _fail(
            f"[{version}] {len(problems)} operation(s) look paginated but match no known paging shape; add the "
            "difference to codegen/pagination.py TABLE (or NOT_PAGINATED with a reason):\n" + "\n".join(problems)
        )
    return out


# ------------------------------------------------------------------ generation


def _fail(message: str) -> NoReturn:
    raise GenerationError(message)


def _model_of(prop: Any, models: dict[str, ModelProperty]) -> ModelProperty | None:
    """The one model a property holds (a reference is looked up in full: its properties may be unset)."""
    alts, _ = emit.variants(prop)
    found = [a for a in alts if isinstance(a, ModelProperty)]
    return models.get(emit.class_name(found[0]), found[0]) if len(found) == 1 else None


def _resolve(
    model: Any, dotted: str, models: dict[str, ModelProperty]
) -> tuple[tuple[tuple[str, str | None], ...], Any]:
    """Steps ``((json key, attribute or None), ...)`` for a dotted JSON path in a response model, and the
    property at its end (``None`` as soon as a key is undeclared: the runtime then reads the raw JSON)."""
    steps: list[tuple[str, str | None]] = []
    prop = model
    for key in dotted.split(".") if dotted else ():
        found = None
        current = _model_of(prop, models) if prop is not None else None
        if current is not None:
            for candidate in list(current.required_properties or ()) + list(current.optional_properties or ()):
                if str(emit.raw(candidate.name)) == key:
                    found = candidate
                    break
        steps.append((key, str(found.python_name) if found is not None else None))
        prop = found
    return tuple(steps), prop


def _join(meta: str, key: str) -> str:
    return f"{meta}.{key}" if meta else key


def _success_model(endpoint: Any) -> Any:
    for response in endpoint.responses:
        code_range = response.status_code.range
        if code_range is not None and 200 <= code_range[0] <= 299 and response.source["attribute"] == "response.json()":
            return response.prop
    return None


def annotate(
    version: str, info: dict[str, Any], endpoint: Any, all_models: list[ModelProperty], fact: Paging | None
) -> None:
    """Add ``info["pagination"]`` (template-ready strings) and the undeclared paging parameters to one
    operation of ``emit.endpoint_info`` when it pages (``fact``, from ``facts``); set it to ``None`` otherwise."""
    op_id = ast.literal_eval(info["operation_id"])
    info["pagination"] = None
    if fact is None:
        return
    where = f"[{version}] {op_id}"
    if fact.shape not in SHAPES:
        _fail(f"{where}: unknown paging shape {fact.shape!r}")
    models = {emit.class_name(m): m for m in all_models}
    model = _success_model(endpoint)
    if model is None:
        _fail(f"{where}: listed as paginated but has no JSON success response")
    items, items_prop = _resolve(model, fact.items, models)
    if fact.item_model is not None:
        if fact.item_model not in models:
            _fail(f"{where}: item model {fact.item_model} is not generated for this version")
        item_descriptor = repr(("model", fact.item_model))
        item_annotation = fact.item_model
        item_refs = {fact.item_model: str(models[fact.item_model].class_info.module_name)}
    elif isinstance(items_prop, ListProperty):
        item_descriptor = emit.descriptor(items_prop.inner_property)
        item_annotation = emit.annotation(items_prop.inner_property)
        item_refs = emit.referenced_classes(items_prop.inner_property)
    else:
        _fail(f"{where}: the spec has no item list at {fact.items!r}; name the item model in the table")

    def steps(key: str) -> str:
        return repr(_resolve(model, _join(fact.meta, key), models)[0])

    shape = fact.shape
    next_steps = "None"
    if shape in (CURSOR, BODY_CURSOR):
        next_steps = steps("next.starting_after")
    elif shape == LINK:
        next_steps = steps("next")
    elif shape == SCROLL:
        next_steps = repr(_resolve(model, "scroll_param", models)[0])
    paged = shape in (PAGE, BODY_PAGE)

    declared = {ast.literal_eval(p["json"]) for p in info["params"]}
    added = [name for name in fact.undeclared if name not in declared]
    for name in added:
        row = {
            "name": name,
            "json": repr(name),
            "location": "query",
            "required": False,
            "annotation": PARAM_TYPES[name],
            "doc": f"{PARAM_DOCS[name]} (accepted by the API, not declared by the spec)",
            "refs": {},
        }
        info["params"].append(row)
        info["query_params"].append(row)
    info["refs"] = dict(sorted({**info["refs"], **item_refs}.items()))
    info["pagination"] = {
        "shape": repr(shape),
        "items_steps": repr(items),
        "item": item_descriptor,
        "item_model": repr(fact.item_model),
        "item_annotation": item_annotation,
        "next": next_steps,
        "page": steps("page") if paged else "None",
        "total_pages": steps("total_pages") if paged else "None",
        "undeclared": repr(tuple(added)),
        "note": emit.py_str(fact.api),
    }


PAGING_KEYS = ("pages", "total_pages", "scroll_param")


def paging_evidence(spec: dict[str, Any]) -> dict[str, str]:
    """``{operationId: why}`` for every operation whose 2xx JSON response declares, or whose examples show,
    a top-level ``pages``, ``total_pages`` or ``scroll_param``."""
    out: dict[str, str] = {}
    for path, method, op in operations(spec):
        if "operationId" not in op:
            continue
        for status, response in (op.get("responses") or {}).items():
            if not str(status).startswith("2"):
                continue
            media = ((response or {}).get("content") or {}).get("application/json") or {}
            keys = set(_props(spec, media.get("schema")))
            for example in (media.get("examples") or {}).values():
                if isinstance(example, dict) and isinstance(example.get("value"), dict):
                    keys.update(example["value"])
            found = sorted(k for k in PAGING_KEYS if k in keys)
            if found:
                out[op["operationId"]] = f"{method.upper()} {path} answers {', '.join(found)}"
    return out

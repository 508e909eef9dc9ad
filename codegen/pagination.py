"""The paging facts of every paginated Intercom operation: the ONE table the generator reads.

Intercom pages its lists in six ways, and the spec describes them unevenly (paging parameters left
undeclared, items under a key the schema does not name, a cursor where the schema promises page numbers,
a next-page URL where it promises a cursor). Every such fact lives in ``TABLE`` below, with the reason; the
templates only lay out what ``annotate`` derives from it, and the runtime (``intercom_async/_pagination.py``)
only follows the ``Pagination`` descriptor generated into each version's ``OPERATIONS``.

Shapes (the request side; the response side is located by ``Paging.items`` and ``Paging.meta``):

  cursor       A   ``?per_page=&starting_after=``; next cursor at ``pages.next.starting_after``
  body_cursor  B   ``{"pagination": {"per_page", "starting_after"}}`` in the JSON body; same response
  page         C   ``?page=&per_page=``; ``pages{page, per_page, total_pages}``; next page is ``page + 1``
  body_page    C2  ``{"page", "per_page"}`` in the JSON body; same response
  scroll       D   ``?scroll_param=``; the next one is the response's ``scroll_param``; ends on an empty page;
                   a 500 asking to restart the scroll means starting it again
  link         E   ``pages.next`` is the URL of the next page (followed only on the configured base URL)

An operation of a version is paginated exactly when its operationId is in ``TABLE``. ``check_coverage``
fails the generation when a version has an operation whose success response carries a ``pages`` object,
``total_pages`` or ``scroll_param`` that the table neither lists nor explains in ``NOT_PAGINATED``, and when
the table lists an operation in a way that contradicts the spec (unknown item model, undeclared items key
without an item model).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any, NoReturn

from openapi_python_client.parser.properties import ListProperty, ModelProperty

from . import emit

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


_PAGE_PARAMS = ("page", "per_page")
_CURSOR_PARAMS = ("per_page", "starting_after")

TABLE: dict[str, Paging] = {
    # ---------------------------------------------------------------- A. query cursor
    "ListContacts": Paging(
        CURSOR,
        undeclared=_CURSOR_PARAMS,
        api="GET /contacts declares no query parameters; the API takes per_page (max 150) and starting_after.",
    ),
    "listConversations": Paging(
        CURSOR,
        items="conversations",
        item_model="Conversation",
        api="The API returns the conversations under `conversations`; the 2.10 and 2.12 schema "
        "(paginated_response) says `data`, of news items and newsfeeds.",
    ),
    "ListAttachedContacts": Paging(
        CURSOR,
        undeclared=_CURSOR_PARAMS,
        api="GET /companies/{id}/contacts declares no paging parameters (its example shows page numbers only); the "
        "API answers with a cursor (pages.next.starting_after) and takes per_page and starting_after.",
    ),
    "listMacros": Paging(CURSOR),
    "listDataConnectors": Paging(CURSOR),
    "listDataConnectorExecutionResults": Paging(CURSOR),
    "getWhatsAppMessageStatus": Paging(CURSOR, items="events"),
    # ---------------------------------------------------------------- B. cursor in the request body
    "SearchContacts": Paging(BODY_CURSOR),
    "searchConversations": Paging(BODY_CURSOR, items="conversations"),
    "searchTickets": Paging(BODY_CURSOR, items="tickets"),
    # ---------------------------------------------------------------- C. page number (query)
    "retrieveCompany": Paging(PAGE),
    "listAllCompanies": Paging(PAGE),  # POST /companies/list: page and per_page are query parameters of a POST
    "listArticles": Paging(
        PAGE, undeclared=_PAGE_PARAMS, api="GET /articles declares no query parameters; the API takes page, per_page."
    ),
    "listAllCollections": Paging(
        PAGE,
        undeclared=_PAGE_PARAMS,
        api="GET /help_center/collections declares no query parameters; the API takes page, per_page.",
    ),
    "listNotes": Paging(
        PAGE,
        undeclared=_PAGE_PARAMS,
        api="GET /contacts/{id}/notes declares no query parameters; the API takes page, per_page.",
    ),
    "listCompanyNotes": Paging(
        PAGE,
        undeclared=_PAGE_PARAMS,
        api="GET /companies/{company_id}/notes declares no query parameters; the API takes page, per_page.",
    ),
    "listActivityLogs": Paging(
        PAGE,
        items="activity_logs",
        undeclared=_PAGE_PARAMS,
        api="GET /admins/activity_logs declares only the date range; the API takes page, per_page.",
    ),
    "listNewsItems": Paging(
        PAGE,
        undeclared=_PAGE_PARAMS,
        api="GET /news/news_items declares no query parameters; the API takes page, per_page.",
    ),
    "listNewsfeeds": Paging(
        PAGE,
        undeclared=_PAGE_PARAMS,
        api="GET /news/newsfeeds declares no query parameters; the API takes page, per_page.",
    ),
    "listLiveNewsfeedItems": Paging(
        PAGE,
        undeclared=_PAGE_PARAMS,
        api="GET /news/newsfeeds/{id}/items declares no query parameters; the API takes page, per_page.",
    ),
    "listInternalArticles": Paging(
        PAGE,
        undeclared=_PAGE_PARAMS,
        api="GET /internal_articles declares no query parameters; the API takes page, per_page.",
    ),
    "listCalls": Paging(PAGE),
    "listFolders": Paging(PAGE),
    "listSideConversations": Paging(PAGE, items="side_conversations"),
    "listContentSnippets": Paging(PAGE, meta=""),  # page, per_page, total_pages at the top level, no `pages`
    # ---------------------------------------------------------------- C2. page number in the body
    "searchActivityLogs": Paging(BODY_PAGE, items="activity_logs"),
    # ---------------------------------------------------------------- D. scroll
    "scrollOverAllCompanies": Paging(SCROLL),
    # ---------------------------------------------------------------- E. next-page link
    "listCompaniesForAContact": Paging(
        LINK,
        items="companies",
        undeclared=_PAGE_PARAMS,
        api="GET /contacts/{id}/companies declares no query parameters; the API takes page, per_page.",
    ),
    "listExternalPages": Paging(LINK),
    "listContentImportSources": Paging(LINK),
    "listDeletedConversationIds": Paging(LINK, items="conversations"),
    "lisDataEvents": Paging(
        LINK,
        items="events",
        item_model="DataEvent",
        undeclared=("per_page",),
        api="GET /events is documented with the summary response (event.summary, no pages); listing answers "
        "event.list: DataEvent items under `events` and a `pages.next` URL. per_page is accepted, undeclared. "
        "(With summary=true, `await` the call for the DataEventSummary: there is nothing to page.)",
    ),
    "searchArticles": Paging(
        LINK,
        items="data.articles",
        undeclared=_PAGE_PARAMS,
        api="The schema says cursor pages; the API answers pages.next as a URL (…/articles/search?…&page=2) and "
        "takes page, per_page.",
    ),
    "searchInternalArticles": Paging(
        LINK,
        items="data.internal_articles",
        undeclared=_PAGE_PARAMS,
        api="As searchArticles: pages.next is a URL; page, per_page are accepted, undeclared.",
    ),
    "listSegments": Paging(
        LINK,
        items="segments",
        api="`pages` is declared as a bare object that 'may be empty, indicating no further pages'; followed "
        "as a link when it carries `next`, otherwise the single page is the whole list.",
    ),
}

# Operations whose response has a pages object (or total_pages / scroll_param) but that do not paginate.
NOT_PAGINATED: dict[str, str] = {}


# ------------------------------------------------------------------ generation


def _fail(message: str) -> NoReturn:
    from .generate import GenerationError

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


def annotate(version: str, info: dict[str, Any], endpoint: Any, all_models: list[ModelProperty]) -> None:
    """Add ``info["pagination"]`` (template-ready strings) and the undeclared paging parameters to one
    operation of ``emit.endpoint_info`` when the table lists it; set it to ``None`` otherwise."""
    op_id = ast.literal_eval(info["operation_id"])
    fact = TABLE.get(op_id)
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
        item_decode = f"_model({emit.MODELS}.{fact.item_model}, _v)"
        item_annotation = fact.item_model
        item_refs = {fact.item_model: str(models[fact.item_model].class_info.module_name)}
    elif isinstance(items_prop, ListProperty):
        item_decode = emit.decode(items_prop.inner_property, "_v")
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
        "item": item_decode,
        "item_model": repr(fact.item_model),
        "item_annotation": item_annotation,
        "next": next_steps,
        "page": steps("page") if paged else "None",
        "total_pages": steps("total_pages") if paged else "None",
        "undeclared": repr(tuple(added)),
        "note": emit.py_str(fact.api),
    }


# ------------------------------------------------------------------ coverage


def _resolve_schema(spec: dict[str, Any], schema: Any, depth: int = 0) -> dict[str, Any]:
    """Top-level properties of a schema, following ``$ref`` and merging ``allOf``."""
    if not isinstance(schema, dict) or depth > 10:
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        return _resolve_schema(spec, spec["components"]["schemas"].get(ref.rsplit("/", 1)[1]), depth + 1)
    props = dict(schema.get("properties") or {})
    for part in schema.get("allOf") or ():
        props.update(_resolve_schema(spec, part, depth + 1))
    return props


PAGING_KEYS = ("pages", "total_pages", "scroll_param")


def paging_evidence(spec: dict[str, Any]) -> dict[str, str]:
    """``{operationId: why}`` for every operation whose 2xx JSON response declares, or whose examples show,
    a top-level ``pages``, ``total_pages`` or ``scroll_param``."""
    out: dict[str, str] = {}
    for path, item in spec.get("paths", {}).items():
        for method, op in item.items():
            if not isinstance(op, dict) or "operationId" not in op:
                continue
            for status, response in (op.get("responses") or {}).items():
                if not str(status).startswith("2"):
                    continue
                media = ((response or {}).get("content") or {}).get("application/json") or {}
                keys = set(_resolve_schema(spec, media.get("schema")))
                for example in (media.get("examples") or {}).values():
                    if isinstance(example, dict) and isinstance(example.get("value"), dict):
                        keys.update(example["value"])
                found = sorted(k for k in PAGING_KEYS if k in keys)
                if found:
                    out[op["operationId"]] = f"{method.upper()} {path} answers {', '.join(found)}"
    return out


def check_coverage(version: str, spec: dict[str, Any]) -> None:
    """Fail when a response with paging fields belongs to an operation the table does not list."""
    missing = [
        f"  {op_id}: {why}"
        for op_id, why in sorted(paging_evidence(spec).items())
        if op_id not in TABLE and op_id not in NOT_PAGINATED
    ]
    if missing:
        _fail(
            f"[{version}] {len(missing)} operation(s) answer with paging fields but are not in codegen/pagination.py "
            "TABLE (or NOT_PAGINATED with a reason):\n" + "\n".join(missing)
        )

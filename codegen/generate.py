"""Generate ``intercom_async/<module>/`` for each pinned version.

Pipeline per version: fetch (sha256-checked) -> normalise -> openapi-python-client parses the normalised
spec (any warning fails the run) -> our templates render into a temporary folder -> ruff formats it -> the
folder replaces the committed package. Output depends only on the pinned spec, this folder and the pinned
tool versions, so regenerating a clean tree changes nothing.
"""

from __future__ import annotations

import functools
import hashlib
import json
import keyword
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml
from openapi_python_client import Project
from openapi_python_client.config import Config, ConfigFile, MetaType
from openapi_python_client.parser import GeneratorData
from openapi_python_client.parser.properties import EnumProperty, ModelProperty

from . import api_diff, docs, emit, examples, names, pagination, tools
from .errors import GenerationError
from .fetch import fetch
from .normalize import HTTP_METHODS, normalise, reference_url
from .pins import ROOT, Pin, load_naming_pins

TEMPLATES = Path(__file__).parent / "templates"
CONFIG_FILE = Path(__file__).parent / "config.yaml"
PACKAGE_DIR = ROOT / "intercom_async"


def load_spec(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as f:
        spec: dict[str, Any] = yaml.load(f, Loader=loader)
    return spec


def _normalised_key(pin: Pin) -> str:
    """What ``pin.normalised_file`` depends on: the pinned spec and the normalisation rules."""
    rules = (Path(__file__).parent / "normalize.py").read_bytes()
    return hashlib.sha256(pin.sha256.encode() + b"\0" + rules).hexdigest()


def normalised_spec(pin: Pin, *, verbose: bool = False, quiet: bool = False) -> dict[str, Any]:
    """Fetch, normalise, write ``pin.normalised_file`` (served by Prism in the contract tests)."""
    spec, changes = normalise(load_spec(fetch(pin)))
    text = json.dumps(spec, indent=1, ensure_ascii=False) + "\n"
    if not pin.normalised_file.exists() or pin.normalised_file.read_text(encoding="utf-8") != text:
        pin.normalised_file.write_text(text, encoding="utf-8")
    stamp, key = pin.normalised_file.with_suffix(".key"), _normalised_key(pin)
    if not stamp.exists() or stamp.read_text(encoding="utf-8") != key:
        stamp.write_text(key, encoding="utf-8")
    if quiet:
        return spec
    print(f"[{pin.name}] normalisation:")
    for rule, details in changes.items():
        shown = "; ".join(details[:3]) + (f"; ... ({len(details)} in all)" if len(details) > 3 else "")
        print(f"  {rule}: {shown if verbose or len(details) <= 3 else f'{len(details)} changes, e.g. {shown}'}")
    return spec


def normalised_json(pin: Pin) -> dict[str, Any]:
    """The normalised spec as JSON (for the API change reports): read from the cache when it was written from
    the same pinned spec by the same rules, else normalised afresh."""
    stamp = pin.normalised_file.with_suffix(".key")
    if pin.normalised_file.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == _normalised_key(pin):
        data: dict[str, Any] = json.loads(pin.normalised_file.read_text(encoding="utf-8"))
        return data
    normalised_spec(pin, quiet=True)
    return normalised_json(pin)


def parse(pin: Pin, spec: dict[str, Any]) -> tuple[GeneratorData, Config]:
    config = Config.from_sources(
        ConfigFile.load_from_path(CONFIG_FILE), MetaType.NONE, pin.normalised_file, "utf-8", True, None
    )
    data = GeneratorData.from_dict(spec, config=config)
    if not isinstance(data, GeneratorData):
        raise GenerationError(f"[{pin.name}] the engine could not read the spec: {data.header} {data.detail}")
    problems = [*data.errors]
    for collection in data.endpoint_collections_by_tag.values():
        problems.extend(collection.parse_errors)
    if problems:
        lines = [f"  {p.level.value}: {p.header} {p.detail or ''}".rstrip() for p in problems]
        raise GenerationError(
            f"[{pin.name}] {len(problems)} generator warning(s) (fail-on-warning):\n" + "\n".join(lines)
        )
    return data, config


def _operation_index(spec: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """``(METHOD, path) -> (operationId, first tag, path item, operation)`` from the normalised spec."""
    out = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                out[(method.upper(), path)] = (op["operationId"], (op.get("tags") or ["default"])[0], item, op)
    return out


def _additional(model: ModelProperty) -> str:
    """The descriptor of a model's undeclared keys (``_ADDITIONAL``: decoding and strict mode)."""
    declared = model.data.additionalProperties
    extra = model.additional_properties
    if declared is None or declared is False or extra is None or isinstance(extra, bool):
        return "'any'" if declared is True else "None"
    return emit.descriptor(extra)


def _pascal(parts: tuple[str, ...]) -> str:
    return "".join(w[:1].upper() + w[1:] for part in parts for w in part.split("_"))


@functools.cache
def naming_table() -> names.NameTable:
    """Intercom's naming table from the pinned fern override files (fetched and sha256-checked)."""
    return names.NameTable(names.load_table(load_spec(fetch(n)) for n in load_naming_pins()))


def render(pin: Pin, spec: dict[str, Any], out: Path, table: names.NameTable | None = None) -> dict[str, Any]:
    data, config = parse(pin, spec)
    env = Project(openapi=data, config=config, custom_template_path=TEMPLATES).env
    env.globals["pin"] = pin
    env.filters["repr"] = repr

    def write(rel: str, template: str, **context: Any) -> None:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(env.get_template(template).render(**context), encoding="utf-8")

    write("__init__.py", "package_init.py.jinja")
    models = {emit.class_name(m): m for m in data.models}
    index = _operation_index(spec)
    endpoints = [
        (endpoint, *index[(endpoint.method.upper(), emit.raw(endpoint.path))])
        for _, collection in sorted(data.endpoint_collections_by_tag.items())
        for endpoint in collection.endpoints
    ]
    bodies = [e.bodies[0].prop for e, *_ in endpoints if e.bodies]
    dict_models = emit.request_closure(bodies, models)
    branch_models, keyword_models = emit.fields_models(bodies, models)
    fixed_values = {name: emit.literals(models[name], spec) for name in sorted(branch_models)}

    entries: list[tuple[str, str]] = []
    model_docs: dict[str, dict[str, Any]] = {}  # the model pages of the reference (codegen/docs.py)
    for model in data.models:
        name, module = str(model.class_info.name), str(model.class_info.module_name)
        descriptor = _additional(model)
        imports = emit.model_imports(model)
        dict_rows = None
        if name in dict_models:
            dict_rows = emit.dict_rows(model, dict_models)
            for ref in {m for r in dict_rows for m in emit.DICT_REF.findall(r["annotation"])}:
                if ref in dict_models and ref != name:
                    imports[f"{ref}Dict"] = str(models[ref].class_info.module_name)
            entries.append((f"{name}Dict", module))
        rows = emit.field_rows(model)
        present = emit.identity_fields(rows) if name not in dict_models else []
        branch = name in branch_models
        fixed = fixed_values.get(name, {})
        fields_rows = None
        if dict_rows is not None and (branch or name in keyword_models):
            fields_rows = emit.fields_rows(model, dict_models, fixed, branch=branch)
            entries.append((f"{name}Fields", module))
        write(
            f"models/{module}.py",
            "model.py.jinja",
            literals=fixed,
            fields_rows=fields_rows,
            fields_branch=branch,
            name=name,
            doc=emit.doc(model.description or name, 4),
            rows=[{**r, "doc": emit.doc(r["doc"], 12), "present": r["name"] in present} for r in rows],
            present=present,
            imports=dict(sorted(imports.items())),
            additional_descriptor=descriptor,
            dict_rows=dict_rows,
            dict_identifiers=dict_rows is not None
            and all(r["key"].isidentifier() and not keyword.iskeyword(r["key"]) for r in dict_rows),
            dict_required=[r["key"] for r in dict_rows or () if r["required"]],
        )
        entries.append((name, module))
        model_docs[name] = docs.model_doc(emit.prose(model.description), rows, descriptor)
    for enum in data.enums:
        if not isinstance(enum, EnumProperty):
            raise GenerationError(f"[{pin.name}] unexpected literal enum {enum.class_info.name}")
        name, module = str(enum.class_info.name), str(enum.class_info.module_name)
        base = "int" if enum.value_type is int else "str"
        values = [(str(k), repr(emit.raw(v))) for k, v in enum.values.items()]
        write(f"models/{module}.py", "enum.py.jinja", name=name, base=base, values=values)
        model_docs[name] = docs.enum_doc(base, [emit.raw(v) for v in enum.values.values()])
        entries.append((name, module))
    write("models/__init__.py", "models_init.py.jinja", entries=sorted(entries))

    paging = pagination.facts(pin.name, spec)
    try:
        sdk_names = (table or naming_table()).assign(spec)
    except names.NamingError as exc:
        raise GenerationError(f"[{pin.name}] {exc}") from None
    tag_docs = {t["name"]: t.get("description", "") for t in spec.get("tags", [])}
    operations = []
    for endpoint, op_id, tag, item, spec_op in endpoints:
        sdk_name = sdk_names[op_id]
        try:
            info = emit.endpoint_info(
                endpoint,
                operation_id=op_id,
                tag=tag,
                group=sdk_name.group,
                method_name=sdk_name.method,
                spec_item=item,
                spec_op=spec_op,
                models=models,
                dict_models=dict_models,
                fixed_values=fixed_values,
                reference_url=reference_url(pin.name, tag, op_id),
            )
        except ValueError as exc:
            raise GenerationError(f"[{pin.name}] {op_id}: {exc}") from None
        info["name_source"] = sdk_name.source
        info["python_intercom"] = docs.python_intercom_name(pin.name, info, spec_op, (table or naming_table()).table)
        pagination.annotate(pin.name, info, endpoint, data.models, paging.get(op_id))  # codegen/pagination.py
        info["docstring"] = emit.op_docstring(info)
        operations.append(info)

    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for info in operations:
        for i in range(1, len(info["group"]) + 1):
            groups.setdefault(info["group"][:i], [])
        groups[info["group"]].append(info)
    resources = []
    for top in sorted({g[0] for g in groups}):
        classes = []
        imports = {}
        tags: list[str] = []
        for group in sorted(g for g in groups if g[0] == top):
            ops = sorted(groups[group], key=lambda o: o["name"])
            for op in ops:
                imports.update(op["refs"])
                tags.append(op["tag_raw"])
            children = [
                {"attr": g[-1], "class_name": _pascal(g) + "Resource", "path": ".".join(g)}
                for g in sorted(groups)
                if len(g) == len(group) + 1 and g[: len(group)] == group
            ]
            classes.append(
                {
                    "class_name": _pascal(group) + "Resource",
                    "path": ".".join(group),
                    "operations": ops,
                    "children": children,
                    "count": len(ops),
                }
            )
        main_tag = max(sorted(set(tags)), key=tags.count) if tags else ""
        write(
            f"resources/{top}.py",
            "resource.py.jinja",
            top=top,
            tag_doc=emit.doc(tag_docs.get(main_tag, "")),
            classes=classes,
            imports=dict(sorted(imports.items())),
        )
        resources.append(
            {
                "attr": top,
                "module": top,
                "class_name": _pascal((top,)) + "Resource",
                "count": sum(len(groups[g]) for g in groups if g[0] == top),
            }
        )
    (out / "resources").mkdir(exist_ok=True)
    (out / "resources" / "__init__.py").write_text(
        env.get_template("header.jinja").render()
        + '"""One module per top-level resource group; loaded on first use."""\n',
        encoding="utf-8",
    )
    operations.sort(key=lambda o: o["operation_id"])
    write("operations.py", "operations.py.jinja", operations=operations, count=len(operations))
    write("client.py", "client.py.jinja", resources=resources)
    (out / "py.typed").write_text("", encoding="utf-8")
    examples.write(pin.name, spec, out)  # examples.json: read only by intercom_async.testing (codegen/examples.py)
    tools.write(pin.name, spec, out)  # tools.json: read only by intercom_async.mcp (codegen/tools.py)
    return {
        "operations": len(operations),
        "models": len(data.models),
        "enums": len(data.enums),
        "infos": operations,
        "model_docs": model_docs,
    }


def _ruff(*args: str) -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    if ruff is None:
        raise GenerationError("ruff is needed to format generated code (pip install -e '.[dev]')")
    subprocess.run([ruff, *args], check=True, cwd=ROOT, capture_output=True)


def build_versions_module(pins: list[Pin], default: str, out: Path) -> None:
    """Render ``_versions.py`` (``VERSIONS`` and the version-dispatching ``Intercom``) to ``out``."""
    from jinja2 import Environment, FileSystemLoader

    env = Environment(
        loader=FileSystemLoader(TEMPLATES), trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True
    )
    env.filters["repr"] = repr
    out.write_text(env.get_template("versions.py.jinja").render(pins=pins, default=default), encoding="utf-8")
    _ruff("format", "--quiet", "--config", str(ROOT / "pyproject.toml"), str(out))


def generate_versions_module(pins: list[Pin], default: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "_versions.py"
        build_versions_module(pins, default, out)
        shutil.copyfile(out, PACKAGE_DIR / "_versions.py")
    docs.write(docs.index_pages(pins, default))  # docs/reference/index.md, docs/migration.md
    table = naming_table()
    specs = {pin.name: normalised_json(pin) for pin in pins}
    reports = {
        (old.name, new.name): api_diff.report(old, specs[old.name], new, specs[new.name], table)
        for old, new in api_diff.report_pairs(pins)
    }
    changes = docs.api_change_pages(reports)  # docs/api-changes/<from>-to-<to>.md
    docs.write(changes)
    docs.prune(pins, keep=changes)


def build(pin: Pin, out: Path, *, quiet: bool = False) -> dict[str, Any]:
    """Generate the package for ``pin`` into the folder ``out`` (formatted, ready to commit)."""
    spec = normalised_spec(pin, quiet=quiet)
    counts = render(pin, spec, out)
    _ruff("format", "--quiet", "--config", str(ROOT / "pyproject.toml"), str(out))
    return counts


def generate(pin: Pin) -> dict[str, Any]:
    target = PACKAGE_DIR / pin.module
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / pin.module
        counts = build(pin, out)
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(out), str(target))
    docs.write(
        docs.version_pages(pin, counts["infos"], counts["model_docs"])
    )  # docs/reference/<version>.md, docs/migration/<version>.md
    print(
        f"[{pin.name}] generated intercom_async/{pin.module}: {counts['operations']} operations, "
        f"{counts['models']} models, {counts['enums']} enums, 0 warnings"
    )
    return counts

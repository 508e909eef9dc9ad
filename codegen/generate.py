"""Generate ``intercom_async/<module>/`` for each pinned version.

Pipeline per version: fetch (sha256-checked) -> normalise -> openapi-python-client parses the normalised
spec (any warning fails the run) -> our templates render into a temporary folder -> ruff formats it -> the
folder replaces the committed package. Output depends only on the pinned spec, this folder and the pinned
tool versions, so regenerating a clean tree changes nothing.
"""

from __future__ import annotations

import json
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

from . import emit, pagination
from .fetch import fetch
from .normalize import HTTP_METHODS, normalise
from .pins import ROOT, Pin

TEMPLATES = Path(__file__).parent / "templates"
CONFIG_FILE = Path(__file__).parent / "config.yaml"
PACKAGE_DIR = ROOT / "intercom_async"


class GenerationError(RuntimeError):
    """The engine reported warnings or errors: generating anyway would drop operations or responses."""


def load_spec(path: Path) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with path.open("rb") as f:
        return yaml.load(f, Loader=loader)


def normalised_spec(pin: Pin, *, verbose: bool = False, quiet: bool = False) -> dict[str, Any]:
    """Fetch, normalise, write ``pin.normalised_file`` (served by Prism in the contract tests)."""
    spec, changes = normalise(load_spec(fetch(pin)))
    text = json.dumps(spec, indent=1, ensure_ascii=False) + "\n"
    if not pin.normalised_file.exists() or pin.normalised_file.read_text(encoding="utf-8") != text:
        pin.normalised_file.write_text(text, encoding="utf-8")
    if quiet:
        return spec
    print(f"[{pin.name}] normalisation:")
    for rule, details in changes.items():
        shown = "; ".join(details[:3]) + (f"; ... ({len(details)} in all)" if len(details) > 3 else "")
        print(f"  {rule}: {shown if verbose or len(details) <= 3 else f'{len(details)} changes, e.g. {shown}'}")
    return spec


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


def _operation_index(spec: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """``(METHOD, path) -> (operationId, first tag)`` from the normalised spec."""
    out = {}
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                out[(method.upper(), path)] = (op["operationId"], (op.get("tags") or ["default"])[0])
    return out


def _additional(model: ModelProperty) -> tuple[str, str | None]:
    """(strict descriptor, decode expression) for a model's undeclared keys."""
    declared = model.data.additionalProperties
    extra = model.additional_properties
    if declared is None or declared is False or extra is None or isinstance(extra, bool):
        return ("'any'" if declared is True else "None"), None
    return emit.descriptor(extra), (None if emit.is_plain(extra) else emit.decode(extra, "_v"))


def render(pin: Pin, spec: dict[str, Any], out: Path) -> dict[str, int]:
    data, config = parse(pin, spec)
    env = Project(openapi=data, config=config, custom_template_path=TEMPLATES).env
    env.globals["pin"] = pin
    env.filters["repr"] = repr

    def write(rel: str, template: str, **context: Any) -> None:
        target = out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(env.get_template(template).render(**context), encoding="utf-8")

    write("__init__.py", "package_init.py.jinja")

    entries: list[tuple[str, str]] = []
    for model in data.models:
        name, module = str(model.class_info.name), str(model.class_info.module_name)
        descriptor, decode = _additional(model)
        doc = emit.raw(model.description) or name
        write(
            f"models/{module}.py",
            "model.py.jinja",
            name=name,
            doc=str(doc).strip(),
            rows=emit.field_rows(model),
            imports=emit.model_imports(model),
            additional_descriptor=descriptor,
            additional_decode=decode,
        )
        entries.append((name, module))
    for enum in data.enums:
        if not isinstance(enum, EnumProperty):
            raise GenerationError(f"[{pin.name}] unexpected literal enum {enum.class_info.name}")
        name, module = str(enum.class_info.name), str(enum.class_info.module_name)
        base = "int" if enum.value_type is int else "str"
        values = [(str(k), repr(emit.raw(v))) for k, v in enum.values.items()]
        write(f"models/{module}.py", "enum.py.jinja", name=name, base=base, values=values)
        entries.append((name, module))
    write("models/__init__.py", "models_init.py.jinja", entries=sorted(entries))

    index = _operation_index(spec)
    pagination.check_coverage(pin.name, spec)
    tag_docs = {t["name"]: t.get("description", "") for t in spec.get("tags", [])}
    operations, resources = [], []
    for tag_id, collection in sorted(data.endpoint_collections_by_tag.items()):
        resource = str(tag_id)
        class_name = "".join(w[:1].upper() + w[1:] for w in resource.split("_")) + "Resource"
        ops = []
        tag_name = resource
        for endpoint in collection.endpoints:
            op_id, tag_name = index[(endpoint.method.upper(), emit.raw(endpoint.path))]
            info = emit.endpoint_info(endpoint, op_id, tag_name, resource)
            pagination.annotate(pin.name, info, endpoint, data.models)  # paging facts: codegen/pagination.py
            ops.append(info)
        ops.sort(key=lambda o: o["name"])
        imports: dict[str, str] = {}
        for op in ops:
            imports.update(op["refs"])
        write(
            f"resources/{resource}.py",
            "resource.py.jinja",
            tag_name=tag_name,
            tag_doc=str(tag_docs.get(tag_name, "")).strip(),
            class_name=class_name,
            resource=resource,
            operations=ops,
            imports=dict(sorted(imports.items())),
        )
        resources.append(
            {"attr": resource, "module": resource, "class_name": class_name, "tag_name": tag_name, "count": len(ops)}
        )
        operations.extend(ops)
    (out / "resources").mkdir(exist_ok=True)
    (out / "resources" / "__init__.py").write_text(
        env.get_template("header.jinja").render() + '"""One module per resource (first tag); loaded on first use."""\n',
        encoding="utf-8",
    )
    operations.sort(key=lambda o: o["operation_id"])
    write("operations.py", "operations.py.jinja", operations=operations, count=len(operations))
    write("client.py", "client.py.jinja", resources=resources)
    (out / "py.typed").write_text("", encoding="utf-8")
    return {"operations": len(operations), "models": len(data.models), "enums": len(data.enums)}


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


def build(pin: Pin, out: Path, *, quiet: bool = False) -> dict[str, int]:
    """Generate the package for ``pin`` into the folder ``out`` (formatted, ready to commit)."""
    spec = normalised_spec(pin, quiet=quiet)
    counts = render(pin, spec, out)
    _ruff("format", "--quiet", "--config", str(ROOT / "pyproject.toml"), str(out))
    return counts


def generate(pin: Pin) -> dict[str, int]:
    target = PACKAGE_DIR / pin.module
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / pin.module
        counts = build(pin, out)
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(out), str(target))
    print(
        f"[{pin.name}] generated intercom_async/{pin.module}: {counts['operations']} operations, "
        f"{counts['models']} models, {counts['enums']} enums, 0 warnings"
    )
    return counts

"""API change reports (codegen/api_diff.py): what a user moving ``version=`` needs to know, and the committed
reports under ``docs/api-changes/`` are the ones the pins produce."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

from codegen import api_diff
from codegen.generate import naming_table, normalised_json
from codegen.names import NameTable
from codegen.pins import Pin, load_pins

ROOT = Path(__file__).resolve().parents[2]


def _pin(name: str) -> Pin:
    return Pin(name=name, module="v" + name.replace(".", "_"), commit="0" * 40, path="x", sha256="0" * 64, url="x")


BASE = {
    "paths": {
        "/things/{id}": {
            "get": {
                "operationId": "getThing",
                "tags": ["Things"],
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    {"name": "expand", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/thing"}}}}
                },
            },
            "delete": {"operationId": "deleteThing", "tags": ["Things"], "responses": {"204": {}}},
        },
    },
    "components": {
        "schemas": {
            "thing": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "size": {"type": "integer"},
                    "state": {"type": "string", "enum": ["open", "closed"]},
                },
            },
            "color": {"type": "string", "enum": ["red", "green"]},
            "old_model": {"type": "object", "properties": {"a": {"type": "string"}}},
        }
    },
}


def _changed() -> dict:
    new = copy.deepcopy(BASE)
    thing_get = new["paths"]["/things/{id}"]["get"]
    thing_get["parameters"][0] = {"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}
    thing_get["parameters"][1]["required"] = True
    thing_get["parameters"].append({"name": "locale", "in": "query", "schema": {"type": "string"}})
    new["paths"] = {"/things/{thing_id}": new["paths"]["/things/{id}"]}
    del new["paths"]["/things/{thing_id}"]["delete"]
    new["paths"]["/things"] = {"post": {"operationId": "createThing", "tags": ["Things"], "responses": {"200": {}}}}
    schemas = new["components"]["schemas"]
    props = schemas["thing"]["properties"]
    del props["size"]
    props["name"] = {"type": "string", "nullable": True}
    props["id"] = {"type": "integer"}
    props["weight"] = {"type": "number"}
    props["state"]["enum"] = ["open", "snoozed"]
    schemas["color"]["enum"] = ["red", "blue"]
    del schemas["old_model"]
    schemas["new_model"] = {"type": "object", "properties": {}}
    return new


def test_the_report_names_every_kind_of_change():
    text = api_diff.report(_pin("1.0"), BASE, _pin("1.1"), _changed(), NameTable({}))
    assert "| added / removed / changed | 1 / 1 / 1 | 1 / 1 / 2 |" in text
    assert "| `POST /things` | `client.things.create` |" in text
    assert "| `DELETE /things/{id}` | `client.things.delete` |" in text
    for line in (
        "path parameter 1: int -> str",
        "query parameter `expand` is now required",
        "query parameter `locale` added",
        "field `size` removed",
        "field `weight` added (float)",
        "field `id`: str -> int",
        "field `name` is now nullable",
        "field `state`: enum values added: 'snoozed'",
        "field `state`: enum values removed: 'closed'",
        "enum values added: 'blue'",
        "enum values removed: 'green'",
    ):
        assert line in text, line
    assert "`new_model`" in text and "`old_model`" in text


def test_pairs_follow_the_version_lines():
    pins = [_pin(n) for n in ("2.10", "2.12", "Unstable", "2.14", "2.16", "Preview")]
    pairs = [(a.name, b.name) for a, b in api_diff.report_pairs(pins)]
    assert pairs == [("2.10", "2.12"), ("2.12", "2.14"), ("2.14", "2.16"), ("Unstable", "Preview"), ("2.16", "Preview")]


def test_the_committed_reports_are_the_ones_the_pins_produce():
    pins = load_pins()
    table = naming_table()
    folder = ROOT / "docs" / "api-changes"
    for old, new in api_diff.report_pairs(pins):
        text = api_diff.report(old, normalised_json(old), new, normalised_json(new), table)
        committed = (folder / f"{old.name}-to-{new.name}.md").read_text(encoding="utf-8")
        assert committed.endswith(text), f"docs/api-changes/{old.name}-to-{new.name}.md is stale: run make generate"


def test_make_api_diff_prints_any_two_pinned_versions():
    result = subprocess.run(
        [sys.executable, "-m", "codegen", "api-diff", "2.10", "Preview"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# API changes: 2.10 -> Preview")
    assert "## Operations added" in result.stdout and "`client.fin_agent." in result.stdout

"""``absolute_reference_links``: spec prose links that only work on developers.intercom.com become absolute."""

from __future__ import annotations

import json
import re

import pytest

from codegen.fetch import fetch
from codegen.generate import load_spec
from codegen.normalize import absolute_reference_links, normalise
from codegen.pins import load_pins

BASE = "https://developers.intercom.com/docs/references/2.16/rest-api/api.intercom.io"


def test_pseudo_and_relative_links_become_intercoms_absolute_urls():
    spec = {
        "info": {"version": "2.16"},
        "tags": [{"name": "Fin Agent", "description": "See [the setup guide](/docs/guides/fin-agent-api/setup)."}],
        "paths": {
            "/ticket_types": {"get": {"operationId": "listTicketTypes", "tags": ["Ticket Types"]}},
            "/ticket_types/{id}": {"get": {"operationId": "getTicketType", "tags": ["Ticket Types"]}},
        },
        "components": {
            "schemas": {
                "attrs": {
                    "type": "object",
                    "description": "Ids from [listing the ticket type](ref:get_ticket-types), "
                    "[one type](ref:get_ticket-types-id), [gone](ref:get_nothing-here) and "
                    "[absolute](https://example.com/x) links.",
                }
            }
        },
    }
    report: list[tuple[str, str]] = []
    absolute_reference_links(spec, lambda rule, detail: report.append((rule, detail)))
    text = spec["components"]["schemas"]["attrs"]["description"]
    assert f"[listing the ticket type]({BASE}/ticket-types/listtickettypes)" in text
    assert f"[one type]({BASE}/ticket-types/gettickettype)" in text
    assert f"[gone]({BASE})" in text  # names no operation: the version's reference home
    assert "[absolute](https://example.com/x)" in text  # left alone
    tag = spec["tags"][0]["description"]
    assert tag == "See [the setup guide](https://developers.intercom.com/docs/guides/fin-agent-api/setup)."
    assert [rule for rule, _ in report] == ["absolute_reference_links"] * 4
    assert report[0][1].startswith("tags/0/description: /docs/guides/fin-agent-api/setup -> https://")


@pytest.mark.parametrize(("version", "count"), [("2.10", 1), ("2.16", 2), ("Preview", 11)])
def test_the_pinned_specs_keep_no_link_that_breaks_off_intercoms_site(version, count):
    pin = next(p for p in load_pins() if p.name == version)
    spec, report = normalise(load_spec(fetch(pin)))
    assert len(report["absolute_reference_links"]) == count
    assert sum("ref:get_ticket-types ->" in line for line in report["absolute_reference_links"]) == 1
    text = json.dumps(spec)
    assert not re.search(r"\]\((?:ref:|/)", text)

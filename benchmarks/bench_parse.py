"""Parse cost of a ~50 KB, 100-part 2.12 conversation (and a contact): json.loads vs the typed models.

    .venv/bin/python benchmarks/bench_parse.py [--runs N] [--rounds N]

Each row is timed call by call (``time.perf_counter_ns``): ``--rounds`` rounds (default 5) go over all rows in
turn, ``--runs`` timed calls per row per round after a warm-up, so drift in machine load spreads evenly over
the rows. The table shows the median, 10th and 90th percentile of all of a row's calls. The garbage collector
stays enabled, as in an application.
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import _common

TARGET_MS = 2.0  # budget for json.loads + Conversation.from_dict; the official SDK takes about 20 ms


def measure(fn: Callable[[], Any], runs: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        fn()
    out = []
    clock = time.perf_counter_ns
    for _ in range(runs):
        t0 = clock()
        fn()
        out.append((clock() - t0) / 1e6)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100, help="timed calls per row per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    conversation_body = _common.encode(_common.make_conversation())
    contact_body = _common.encode(_common.make_contact())
    strict_body = _common.encode(_common.make_conversation(extras=False))

    # Cold: the first parse in a fresh process also imports the ~25 model modules it touches (lazily).
    t0 = time.perf_counter()
    from intercom_async.v2_12 import OPERATIONS
    from intercom_async.v2_12.models import Conversation

    Conversation.from_dict(json.loads(conversation_body))
    cold_ms = (time.perf_counter() - t0) * 1e3

    from intercom_async.v2_12.models import Contact

    data = json.loads(conversation_body)
    model = Conversation.from_dict(data)
    assert model.to_dict() == data, "to_dict() must return the JSON the model was parsed from"
    assert data == json.loads(conversation_body), "from_dict must not mutate its input"
    strict_data = json.loads(strict_body)
    Conversation.from_dict(strict_data, strict=True)
    op = OPERATIONS["retrieveConversation"]
    contact_data = json.loads(contact_body)
    contact = Contact.from_dict(contact_data)

    runs = args.runs
    rows_spec: list[tuple[str, Callable[[], Any]]] = [
        ("json.loads", lambda: json.loads(conversation_body)),
        ("json.loads + Conversation.from_dict", lambda: Conversation.from_dict(json.loads(conversation_body))),
        ("Operation.parse(200, body)  (the client's path)", lambda: op.parse(200, conversation_body)),
        ("Conversation.from_dict (dict already parsed)", lambda: Conversation.from_dict(data)),
        ("model.to_dict()", model.to_dict),
        ("json.dumps(model.to_dict())", lambda: json.dumps(model.to_dict())),
        ("copy.deepcopy(dict)  (reference: a pure-Python tree walk)", lambda: copy.deepcopy(data)),
        (
            "json.loads + from_dict(strict=True)  (validation on)",
            lambda: Conversation.from_dict(json.loads(strict_body), strict=True),
        ),
        ("contact: json.loads", lambda: json.loads(contact_body)),
        ("contact: json.loads + Contact.from_dict", lambda: Contact.from_dict(json.loads(contact_body))),
        ("contact: to_dict()", contact.to_dict),
    ]
    results: dict[str, list[float]] = {label: [] for label, _ in rows_spec}
    for _ in range(args.rounds):
        for label, fn in rows_spec:
            gc.collect()
            results[label] += measure(fn, runs)

    print(f"Parse benchmark ({_common.machine_note()})")
    print(
        f"conversation: {len(conversation_body):,} bytes, {_common.N_PARTS} parts; contact: {len(contact_body):,} bytes;"
        f" {args.rounds} x {runs} timed calls per row\n"
    )
    base = _common.median(results["json.loads"])
    rows = []
    for label, values in results.items():
        med = _common.median(values)
        rel = f"{med / base:.1f}x" if not label.startswith("contact") else ""
        rows.append(
            [label, f"{med:.3f}", f"{_common.quantile(values, 0.1):.3f}", f"{_common.quantile(values, 0.9):.3f}", rel]
        )
    print(_common.table(rows, ["operation", "median ms", "p10 ms", "p90 ms", "vs json.loads"]))
    print(f"\nfirst parse in this process (imports the model modules lazily): {cold_ms:.1f} ms")

    parse = _common.median(results["json.loads + Conversation.from_dict"])
    verdict = "MET" if parse < TARGET_MS else "NOT MET"
    print(f"budget: json.loads + from_dict < {TARGET_MS:.1f} ms (official SDK ~20 ms): {parse:.3f} ms -> {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

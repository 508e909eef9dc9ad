"""The toolkit modules are type-clean under ``mypy --strict``, and a user's typed handler sees the version's
models and the ``Topic`` literal (one mypy run for both: it is the slow part)."""

from __future__ import annotations

from pathlib import Path

from tests.support.mypy import run_mypy, snippet

ROOT = Path(__file__).resolve().parents[2]
MODULES = ["webhooks.py", "canvas_kit.py", "messenger.py", "oauth.py", "_signatures.py"]

HANDLER = """
from intercom_async import v2_12, webhooks
from intercom_async.webhooks import Notification, Topic


async def handle(notification: Notification) -> None:
    topic: Topic | str = notification.topic
    if isinstance(notification.item, v2_12.models.Conversation):
        reveal_type(notification.item.id)
    wrong: Topic = "conversation.user.creatd"
    print(topic, wrong)


receiver = webhooks.WebhookReceiver(handle, secret="s")
"""


def test_toolkit_modules_and_a_typed_handler_pass_mypy_strict(tmp_path: Path):
    handler = snippet(tmp_path, "handler")
    handler.write_text(HANDLER, encoding="utf-8")
    files = [f"intercom_async/{name}" for name in MODULES]
    result = run_mypy(*files, str(handler))
    out = result.stdout + result.stderr
    lines = [line for line in out.splitlines() if ": error:" in line or ": note:" in line]
    assert len(lines) == 2, out  # nothing in the toolkit modules, two lines about the handler
    assert lines[0] == f'{handler}:9: note: Revealed type is "builtins.str"', out
    assert lines[1].startswith(
        f"{handler}:10: error: Incompatible types in assignment (expression has type"
        " \"Literal['conversation.user.creatd']\", variable has type \"Literal['ping', "
    ), out

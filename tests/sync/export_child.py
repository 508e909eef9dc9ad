"""A worker process for ``test_kill9.py``: runs one export with a file checkpoint store and appends each
delivered id to a sink file (flushed and fsynced before the next item is asked for: "delivered")."""

from __future__ import annotations

import asyncio
import os
import sys

import intercom_async
from intercom_async.sync import FileCheckpointStore, export


async def main(base_url: str, token: str, store_dir: str, sink: str) -> None:
    async with intercom_async.Intercom(token, version="2.16", base_url=base_url) as client:
        store = FileCheckpointStore(store_dir)
        fd = os.open(sink, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            async for item in export(client, "conversations", store=store, name="job", concurrency=4, per_page=20):
                os.write(fd, f"{item.id}\n".encode())
                os.fsync(fd)
        finally:
            os.close(fd)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))

# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""8 threads, 1,000 mixed requests (list, get, create, delete): no error, consistent state."""

from __future__ import annotations

import random
import threading
import time

from conftest import ak_client, create_credential, credentials_path, walk_pages

THREADS = 8
REQUESTS_PER_THREAD = 125
OPERATIONS = ("create", "get", "list", "delete")


class Worker:
    """One client thread's requests and what it created and deleted."""

    def __init__(self, info, okms_id: str, seed: int) -> None:
        self.client = ak_client(info)
        self.client.get("/me")  # time delta and connection ready before the clock starts
        self.info = info
        self.okms_id = okms_id
        self.random = random.Random(seed)
        self.live, self.deleted, self.errors = {}, set(), []

    def _operation(self) -> str:
        operation = self.random.choice(OPERATIONS)
        if operation in ("get", "delete") and not self.live:
            return "create"
        return operation

    def _one(self, index: int) -> None:
        operation = self._operation()
        if operation == "create":
            created = create_credential(self.client, self.info, self.okms_id, name="load-%d" % index)
            assert created["status"] == "CREATING"
            self.live[created["id"]] = created["name"]
        elif operation == "get":
            credential_id = self.random.choice(sorted(self.live))
            assert self.client.get(credentials_path(self.okms_id, credential_id))["name"] == self.live[credential_id]
        elif operation == "list":
            assert isinstance(self.client.get(credentials_path(self.okms_id)), list)
        else:
            credential_id = self.random.choice(sorted(self.live))
            assert self.client.delete(credentials_path(self.okms_id, credential_id))["status"] == "DELETING"
            del self.live[credential_id]
            self.deleted.add(credential_id)

    def run(self) -> None:
        """Send REQUESTS_PER_THREAD requests, recording failures."""
        for index in range(REQUESTS_PER_THREAD):
            try:
                self._one(index)
            except Exception as exc:  # pylint: disable=broad-exception-caught
                self.errors.append(repr(exc))


def test_mixed_load(info, domains, admin):
    admin.configure(ready_delay=0, delete_delay=0)
    okms_id = domains["load"]
    before = {view["id"] for view in ak_client(info).get(credentials_path(okms_id))}
    workers = [Worker(info, okms_id, seed) for seed in range(THREADS)]
    threads = [threading.Thread(target=worker.run) for worker in workers]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    total = THREADS * REQUESTS_PER_THREAD
    print("load: %d requests from %d threads in %.2f s = %.0f requests/s" % (total, THREADS, elapsed, total / elapsed))
    assert [error for worker in workers for error in worker.errors] == []

    expected = before | {credential_id for worker in workers for credential_id in worker.live}
    views, _pages = walk_pages(ak_client(info), credentials_path(okms_id), 100)
    assert {view["id"] for view in views} == expected
    assert {view["status"] for view in views if view["id"] not in before} <= {"READY"}
    assert not expected & {credential_id for worker in workers for credential_id in worker.deleted}

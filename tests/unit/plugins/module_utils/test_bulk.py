# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Reading a fleet's credentials: by id in parallel, or the listing while it is cheaper (module_utils/_bulk.py)."""

from __future__ import annotations

import threading

import pytest

from ansible_collections.okms.access.plugins.module_utils import _bulk as bulk
from ansible_collections.okms.access.plugins.module_utils._client import ListPage


class Domain:
    """M credentials listed in pages of ``size``; counts the pages walked and the GETs by id, and the threads used."""

    def __init__(self, count, size):
        self.items = [dict(id="c%d" % index, name="n%d" % index) for index in range(count)]
        self.size, self.pages, self.gets, self.threads = size, 0, [], set()
        self.lock = threading.Lock()

    def iter_pages(self):
        for start in range(0, max(len(self.items), 1), self.size):
            self.pages += 1
            yield ListPage(self.items[start:start + self.size], more=start + self.size < len(self.items))

    def make_get(self):
        by_id = dict((item["id"], item) for item in self.items)

        def get(credential_id):
            with self.lock:
                self.gets.append(credential_id)
                self.threads.add(threading.get_ident())
            return by_id.get(credential_id)
        return get


# (case, M, page size, ids asked (indexes; -1: an id the domain lacks), pages walked, GETs by id, listing returned)
CASES = [
    ("few hosts: GETs by id, no page", 10000, 1000, list(range(40)), 0, 40, False),
    ("hosts at the start of a big domain: pages only", 10000, 1000, list(range(1000)), 1, 0, False),
    ("a domain of one page: the listing, an id it lacks is None", 500, 1000, list(range(100)) + [-1], 1, 0, True),
    ("a big domain walked to its end: the listing, ids it lacks are None", 1500, 1000, list(range(50)) + ["x%d" % i for i in range(60)], 2, 0, True),
    ("a page finds all but one, more pages follow: that one by id", 5000, 1000, list(range(100)) + [-1], 1, 1, False),
    ("hosts at the end of a big domain: pages while cheaper, then GETs", 20000, 1000, list(range(19900, 20000)), 3, 100, False),
    ("no id at all", 10, 1000, [], 0, 0, False),
]


@pytest.mark.parametrize("case, count, size, indexes, pages, gets, complete", CASES, ids=[case[0] for case in CASES])
def test_read_credentials(case, count, size, indexes, pages, gets, complete):
    domain = Domain(count, size)
    ids = ["c%d" % index if isinstance(index, int) and index >= 0 else "gone" if index == -1 else index for index in indexes]
    found, listing = bulk.read_credentials(domain.make_get, domain.iter_pages(), ids, workers=8, page_cost=6)
    assert sorted(found) == sorted(ids)
    assert all(found[credential_id] == (None if not credential_id.startswith("c") else dict(id=credential_id, name="n" + credential_id[1:]))
               for credential_id in ids)
    assert (domain.pages, len(domain.gets)) == (pages, gets)
    assert (listing is not None) == complete
    if complete:
        assert len(listing) == count


def test_reads_by_id_run_in_parallel_threads_with_a_reader_each():
    domain = Domain(100, 1000)
    readers = []

    def make_get():
        readers.append(threading.get_ident())
        return domain.make_get()

    found = bulk.read_many(make_get, ["c%d" % index for index in range(40)], workers=4)
    assert len(found) == 40 and len(domain.gets) == 40
    assert len(readers) == len(set(readers)) <= 4


@pytest.mark.parametrize("count, workers, expected", [(0, 8, 0), (1, 8, 1), (8, 8, 1), (9, 8, 2), (10000, 8, 1250)])
def test_rounds(count, workers, expected):
    assert bulk.rounds(count, workers) == expected

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""Reading the credentials of a whole fleet at once: GETs by id in parallel, or the domain's listing when it is cheaper.

The API has no call that returns several credentials by id, and nothing tells how many credentials a domain holds (M)
before its listing is walked. So the choice between N GETs by id (N/``workers`` rounds, in parallel) and the listing
(ceil(M / page size) pages, one after the other) is made while walking: pages are fetched as long as the pages walked
so far cost less than GETting the ids still missing; then the missing ones are read by id. This never costs more than
about twice the cheaper of the two, whatever M is (the rent-or-buy argument), and is exactly the listing when the
listing is cheaper from the start.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

# GETs by id at once: each thread has its own API client (connection), all share the play's authentication.
PARALLEL_READS = 8
# What one list page costs, in GETs by id: 20 measured on the emulator with pages of 1,000 credentials (scripts/bench.py,
# "page cost"). Over a network every request also pays a round trip, so a page costs fewer GETs than this: the walk then
# stops earlier than it could, which costs GETs, never a wrong result.
PAGE_COST = 20.0


def rounds(count, workers=PARALLEL_READS):
    """How long ``count`` GETs by id take, in GETs one after the other."""
    return -(-count // workers)


def read_many(make_reader, keys, workers=PARALLEL_READS):
    """{key: make_reader()(key)} for every key, ``workers`` at a time, one reader per thread."""
    keys = list(keys)
    if not keys:
        return {}
    local = threading.local()

    def read(key):
        if getattr(local, "reader", None) is None:
            local.reader = make_reader()
        return local.reader(key)

    with ThreadPoolExecutor(max_workers=min(workers, len(keys))) as pool:
        return dict(zip(keys, pool.map(read, keys)))


def read_credentials(make_get, pages, ids, workers=PARALLEL_READS, page_cost=PAGE_COST):
    """({id: credential or None}, listing or None): the credentials ``ids``, by id in parallel or from the listing.

    ``make_get()`` makes a function id -> credential or None (one per thread); ``pages`` is an iterator of the listing's
    pages (lists whose attribute ``more`` says whether another follows: _client.ListPage), walked only while that is
    cheaper. The listing is returned when it was walked to its end (then it holds every
    credential of the domain, and an id it lacks does not exist), None otherwise.
    """
    missing, found = set(ids), {}
    if rounds(len(missing), workers) > page_cost:
        listing, walked = [], 0
        for page in pages:
            walked += 1
            listing.extend(page)
            for item in page:
                if item.get("id") in missing:
                    missing.discard(item["id"])
                    found[item["id"]] = item
            if not getattr(page, "more", True):
                found.update((credential_id, None) for credential_id in missing)
                return found, listing
            if walked * page_cost >= rounds(len(missing), workers):
                break
    found.update(read_many(make_get, sorted(missing), workers))
    return found, None

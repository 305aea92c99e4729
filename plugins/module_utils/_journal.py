# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""The role's record, on the controller, of what a run has started and not finished, so that the next run can finish it.

One JSON file per (KMS domain, credential name) beside the name's lock (``_lock.name_lock_directory()``), written
0600 and renamed into place, only while the name's lock is held:

- ``creates``: create calls of API-key credentials, ``{"started", "ended", "id"}``: written before the call (``id``
  null), completed with the id it answered; removed once the key is on disk. A record left by a crash proves the
  credential is ours (its id, or, without one, its creation time inside the call's window, lifecycle.ownership_proof).
- ``retire``: ids of credentials that new pairs replace, written before the pairs go in place; removed once deleted.
  A crash before the cleanup leaves them for the next run to delete (lifecycle.deletion).

No key, no certificate: ids and times only.
"""

from __future__ import annotations

import json
import os

from ansible_collections.okms.access.plugins.module_utils._lock import name_lock_path


def journal_path(directory, okms_id, name):
    return name_lock_path(directory, okms_id, name)[:-len(".lock")] + ".journal.json"


def empty():
    return dict(creates=[], retire=[])


def read_journal(path):
    """The journal at ``path``; an empty one when there is none (or it is not one of ours)."""
    try:
        with open(path, encoding="utf-8") as handle:
            journal = json.load(handle)
    except (OSError, ValueError):
        return empty()
    if not isinstance(journal, dict):
        return empty()
    return dict(creates=[item for item in journal.get("creates") or [] if isinstance(item, dict)],
                retire=[item for item in journal.get("retire") or [] if isinstance(item, str)])


def write_journal(path, journal):
    """Write the journal (0600, never through a link, renamed into place); an empty one removes the file."""
    if not journal["creates"] and not journal["retire"]:
        try:
            os.remove(path)
        except FileNotFoundError:
            pass
        return
    temporary = "%s.%d.tmp" % (path, os.getpid())
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(journal, handle, sort_keys=True)
    os.replace(temporary, path)


def update_journal(path, change):
    """Read, change (``change(journal)`` edits it in place) and write the journal."""
    journal = read_journal(path)
    change(journal)
    write_journal(path, journal)
    return journal

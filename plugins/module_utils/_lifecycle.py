# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""One credential lifecycle for the module okms_certificate and the role okms.access.client: pure decisions, no I/O.

The API returns a private key once, and a credential cannot be changed. Every decision about what is created, adopted,
kept or deleted is taken here, so that the module and the role keep the same promises (docs/design.md, "Nothing lost"):

- the creation body (``creation_body``);
- a credential just issued: READY, to discard (ERROR: it has no certificate), gone, or still to wait for (``issued``);
- a pair a replacement staged beside the pair in place: adopt, finish the swap, or discard (``staged_pair``);
- a credential found after a create call whose outcome is unknown, or left by a run that crashed: adopt, delete or
  report as a possible orphan, by what proves it is ours (``ownership_proof``, ``leftover``);
- whether a credential may be deleted at all, and why (``deletion``).

Where the module and the role differ, the difference is an argument (``name_locked``, ``others_holding``,
``outside_may_hold``), not a second implementation.
"""

from __future__ import annotations

import datetime

from ansible_collections.okms.access.plugins.module_utils._credential import (
    CREATING,
    DELETING,
    ERROR,
    load_certificate,
    parse_timestamp,
    public_key_der,
)

# Seconds, after a create call's deadline, by which the server is taken to have carried it out (or not): a credential
# the server created up to then (by its clock) counts as the call's.
LATE_COMMIT_MARGIN = 5.0

# issued(): what a credential just created (or waited for) is
ISSUED_READY = "ready"
ISSUED_WAIT = "wait"
ISSUED_DISCARD = "discard"
ISSUED_GONE = "gone"

# staged_pair(): what to do with the files a replacement staged
STAGED_NONE = "none"
STAGED_ADOPT = "adopt"
STAGED_FINISH_SWAP = "finish_swap"
STAGED_DISCARD_KEY = "discard_key"
STAGED_DISCARD_CERTIFICATE = "discard_certificate"
STAGED_UNREADABLE = "unreadable"

# leftover(): what to do with a credential found after a lost create call or left behind by a crashed run
ADOPT = "adopt"
DELETE = "delete"
REPORT = "report"
KEEP = "keep"

# Proofs that a credential is this run's (or this controller's)
PROOF_CSR = "csr"            # its certificate carries the public key of this run's CSR
PROOF_KEY = "key"            # its certificate carries the public key of a private key we hold (in place or staged)
PROOF_WINDOW = "window"      # an API-key credential created inside our lost create call's window, while we held the name's lock
PROOF_RECORDED = "recorded"  # our create call answered with its id (the role's record of its create calls)
PROOF_REPLACED = "replaced"  # the credential a host held, which its new pair replaced
PROOF_ASKED = "asked"        # state=absent asks for the credentials of the name to go


def creation_body(name, identity_urns, description=None, validity=None, certificate_type=None, csr=None):
    """The body of POST .../credential. Unset values are not sent: OVH's control panel never sends an empty description.

    A CSR carries its own key type, so certificate_type goes only with an API-generated key.
    """
    body = {"name": name, "identityURNs": list(identity_urns)}
    if description:
        body["description"] = description
    if validity is not None:
        body["validity"] = validity
    if csr is not None:
        body["csr"] = csr
    elif certificate_type:
        body["certificateType"] = certificate_type
    return body


def issued(credential):
    """(what, why) of a credential just created or waited for: ready to use, to wait for, to discard, or gone."""
    if credential is None:
        return ISSUED_GONE, "it disappeared while waiting for its certificate: someone deleted it"
    status = credential.get("status")
    if status == CREATING:
        return ISSUED_WAIT, "it is still CREATING"
    if status == ERROR:
        # Nothing can ever use a credential in ERROR (it has no certificate): it is deleted rather than left behind.
        return ISSUED_DISCARD, "the API could not issue its certificate (status ERROR)"
    if status == DELETING:
        return ISSUED_GONE, "it is being deleted"
    return ISSUED_READY, "it is %s" % status


def staged_pair(staged_key, staged_key_problem, staged_certificate, key_in_place, owner_of_staged_key):
    """(what, why) to do with what a replacement left beside the pair in place; each argument is a public key fingerprint.

    ``staged_key``: the key at ``<key>.new`` (None when there is none), ``staged_key_problem`` why it cannot be read;
    ``staged_certificate``: the public key of the certificate at ``<cert>.new``; ``key_in_place``: the key in place;
    ``owner_of_staged_key``: the id of the credential whose certificate carries the staged key (None when no live one
    does). A staged key comes first: it is renamed into place before the certificate.
    """
    if staged_key_problem:
        return STAGED_UNREADABLE, "a staged private key is in the way: %s; remove it, or put it in place by hand" % staged_key_problem
    if staged_key is not None:
        if owner_of_staged_key:
            return STAGED_ADOPT, "credential %s, which an earlier run created for the staged key, is put in place" % owner_of_staged_key
        return STAGED_DISCARD_KEY, "no credential has a certificate for the staged key (its credential is gone or in ERROR)"
    if staged_certificate is not None:
        if staged_certificate == key_in_place:
            return STAGED_FINISH_SWAP, "a run stopped between the two renames: the staged certificate is the key's, it goes in place"
        return STAGED_DISCARD_CERTIFICATE, "the staged certificate is not the one of the key in place"
    return STAGED_NONE, ""


def creation_window(started, ended, clock_offset, margin=LATE_COMMIT_MARGIN):
    """(first, last) aware UTC datetimes, by the server's clock, in which a create call sent at ``started`` and given up
    at ``ended`` (local unix times) may have been carried out; ``clock_offset`` = (lowest, highest) server minus local."""
    low, high = clock_offset
    return (datetime.datetime.fromtimestamp(started + low, datetime.timezone.utc),
            datetime.datetime.fromtimestamp(ended + margin + high, datetime.timezone.utc))


def ownership_proof(candidate, csr_public_der, held_public_ders, window, name_locked, recorded_ids=()):
    """How a credential found after a create call whose outcome was unknown is tied to us; None when it is not.

    PROOF_CSR: its certificate carries the public key of this run's CSR. PROOF_KEY: its certificate carries the public key
    of a private key we hold. PROOF_RECORDED: a create call of ours answered with its id (``recorded_ids``). PROOF_WINDOW:
    an API-key credential created, by the server's clock, inside ``window`` (start, end) of our create call, which counts
    only while we hold the lock of the name (``name_locked``): no other run of this machine could create one then.
    Anything else may be another's.
    """
    certificate = load_certificate(candidate.get("certificatePEM"))
    public_der = public_key_der(certificate) if certificate is not None else None
    if csr_public_der is not None:
        return PROOF_CSR if candidate.get("fromCSR") and public_der == csr_public_der else None
    if public_der is not None and public_der in held_public_ders:
        return PROOF_KEY
    if candidate.get("id") in recorded_ids:
        return PROOF_RECORDED
    if not name_locked or window is None or candidate.get("fromCSR"):
        return None
    try:
        created_at = parse_timestamp(candidate.get("createdAt"))
    except ValueError:
        return None
    return PROOF_WINDOW if window[0] <= created_at <= window[1] else None


def leftover(proof, key_held, adopted_already, replaced=False):
    """(what, why) to do with a credential a lost create call or a crashed run may have left: adopt, delete, keep or report.

    ``key_held``: its private key is on disk (staged or in place), so it can be used; ``adopted_already``: one credential
    was adopted already (one credential per name); ``replaced``: this run gives the name a new credential and key (a
    credential carrying the key we hold then goes with that key). A credential whose key exists nowhere is useless: it
    is deleted when it is provably ours, reported otherwise.
    """
    if proof is None:
        return REPORT, "nothing proves it is ours: reported as a possible orphan, never deleted"
    if proof == PROOF_REPLACED:
        return DELETE, "a new credential replaced it, and a run stopped before deleting it"
    if key_held or proof == PROOF_CSR:
        if adopted_already:
            return REPORT, "another credential was adopted already: this one, ours too, is a duplicate to delete by hand"
        return ADOPT, "its private key is on disk: it is adopted instead of creating another"
    if proof == PROOF_KEY:
        if replaced:
            return DELETE, "it carries the key we hold, which the new credential's key replaces"
        return KEEP, "it carries a key we hold"
    return DELETE, "its private key exists nowhere (%s): nothing can ever use it" % {
        PROOF_WINDOW: "an API-key credential created by our create call whose answer was lost",
        PROOF_RECORDED: "our create call answered, but the key never reached disk",
    }.get(proof, proof)


def deletion(credential, name, proof, others_holding=(), outside_may_hold=()):
    """(delete, why): whether a credential may be deleted, and why (or why not).

    ``name``: the credential name the caller manages; ``proof``: what ties it to us (PROOF_*), None when nothing does;
    ``others_holding``: hosts (or files) that keep using it; ``outside_may_hold``: hosts outside the run (--limit,
    unreachable, failed) that may still hold it. Only a live credential of our name, provably ours, used by nobody
    we know of and by nobody we cannot see, is deleted.
    """
    if credential is None or credential.get("status") == DELETING:
        return False, "it is gone or being deleted already"
    if credential.get("name") != name:
        return False, "it is called %r, not %r: it is not ours to delete" % (credential.get("name"), name)
    if others_holding:
        return False, "%s still use it" % ", ".join(sorted(others_holding))
    if outside_may_hold:
        return False, ("hosts outside this run (%s) may still hold it: it is kept; run again on every host to delete it"
                       % ", ".join(sorted(outside_may_hold)))
    if proof is None:
        return False, "nothing proves it is ours: reported as a possible orphan, never deleted"
    return True, {
        PROOF_REPLACED: "a new credential replaces it",
        PROOF_ASKED: "state=absent asks for it to go",
        PROOF_WINDOW: "our lost create call made it and its key exists nowhere",
        PROOF_RECORDED: "our create call made it and its key exists nowhere",
        PROOF_KEY: "it carries a key we hold, which a newer credential replaces",
        PROOF_CSR: "it carries our CSR's key, which a newer credential replaces",
    }.get(proof, proof)

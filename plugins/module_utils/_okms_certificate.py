# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""The backend of the module okms_certificate: a credential and its files, on the one lifecycle of _lifecycle.py.

The module's file holds its documentation and builds the AnsibleModule; everything it does is here, where unit tests
import it (the model is community.crypto's openssl_privatekey and module_backends/privatekey.py).
"""

from __future__ import annotations

import contextlib
import os
import stat
import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.okms.access.plugins.module_utils._base import OkmsModuleBase
from ansible_collections.okms.access.plugins.module_utils._client import OvhApiError, OvhOutcomeUnknownError
from ansible_collections.okms.access.plugins.module_utils._credential import (
    CREATING,
    CRYPTOGRAPHY_IMPORT_ERROR,
    DELETING,
    EXPIRED,
    HAS_CRYPTOGRAPHY,
    READY,
    CredentialApi,
    CredentialWaitTimeout,
    credential_id_of,
    credential_result,
    diff_view,
    fingerprint_sha256,
    load_certificate,
    parse_timestamp,
    pem_text,
    public_key_der,
    public_key_sha256,
    read_certificate_file,
    read_private_key_public_der,
    utc_now,
)
from ansible_collections.okms.access.plugins.module_utils._engine import (
    FAIL,
    KEEP,
    certificate_type_warning,
    credential_of_certificate,
    decide_replacement,
    description_drift,
    identity_urns_drift,
    key_origin_drift,
    private_key_drift,
    reason,
    renewal as renewal_due,
    status_drift,
)
from ansible_collections.okms.access.plugins.module_utils import _lifecycle as lifecycle
from ansible_collections.okms.access.plugins.module_utils._files import (
    PUBLIC_MODE,
    SECRET_MODE,
    ensure_file,
    file_arguments,
    numeric_mode,
    remove_file,
    write_atomically,
)
from ansible_collections.okms.access.plugins.module_utils._lock import (
    LockDirectoryError,
    LockTimeout,
    ensure_private_directory,
    exclusive_lock,
    name_lock_directory,
    name_lock_path,
    pair_lock_path,
)
from ansible_collections.okms.access.plugins.module_utils._validation import fail_on_errors, file_option_errors, input_errors, managed_file_errors, read_csr

# Create calls sent at most, when the outcome of the previous one was unknown and nothing was found.
MAX_CREATE_ATTEMPTS = 3
# Suffix of the files a replacement stages beside the key and the certificate before renaming them into place.
STAGED_SUFFIX = ".new"
# In a check mode diff, what only the API can tell (a new credential's id, a new file's fingerprint).
NOT_KNOWN_YET = "(known after creation)"


class OkmsCertificate(OkmsModuleBase):
    module_argument_spec = dict(
        okms_id=dict(type="str", required=True),
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        credential_id=dict(type="str"),
        identity_urns=dict(type="list", elements="str"),
        description=dict(type="str"),
        validity=dict(type="int"),
        certificate_type=dict(type="str", choices=["ECDSA", "RSA"]),
        csr=dict(type="str"),
        csr_path=dict(type="path"),
        private_key_path=dict(type="path", no_log=False),
        private_key_mode=dict(type="raw", default=SECRET_MODE, no_log=False),
        certificate_path=dict(type="path"),
        regenerate=dict(type="str", default="fail", choices=["never", "fail", "on_drift", "always"]),
        renew_before_days=dict(type="int", default=0),
        now=dict(type="str"),
        delete_replaced=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=120),
        remove_files=dict(type="bool", default=False),
        find_by_name=dict(type="bool", default=True),
    )

    def __init__(self, module):
        super().__init__(module)
        self.params = module.params
        self.result = dict(changed=False)
        self.now = None
        self.csr_pem = None
        self.csr_public_der = None
        self._api = None
        # Ids of the credentials called `name` that existed before this run created anything.
        self.known_ids = set()
        self.listed_by_name = False
        self.named = []
        self.written = []
        # Whether this run holds the lock of the credential name (never in check mode).
        self.name_locked = False
        # The staged key of the new credential of a replacement, until it is renamed into place.
        self.staged_key = None

    @property
    def api(self):
        if self._api is None:
            self._api = CredentialApi(self.client, self.params["okms_id"])
        return self._api

    def run(self):
        self.check_input()
        try:
            with self.locks():
                if self.params["state"] == "absent":
                    self.ensure_absent()
                else:
                    self.ensure_present()
        except OvhApiError as exc:
            self.fail(str(exc), failure=exc.to_failure())
        except CredentialWaitTimeout as exc:
            self.fail("%s. It is left as it is: %srun the task again to pick it up, or delete it with state=absent and credential_id=%s."
                      % (exc, self.staged_key_note(), exc.credential_id), timed_out_credential_id=exc.credential_id)
        except (LockTimeout, LockDirectoryError) as exc:
            self.fail("Cannot take the lock that lets one run at a time manage credential %r: %s. Nothing was done."
                      % (self.params["name"], exc))
        except OSError as exc:
            self.fail("File operation failed: %s" % exc)
        self.module.exit_json(**self.result)

    @contextlib.contextmanager
    def locks(self):
        """One writer at a time: the lock of the credential name on this machine, then the lock of the key/certificate pair.

        Check mode writes nothing and takes no lock.
        """
        if self.module.check_mode:
            yield
            return
        timeout = self.params["wait_timeout"]
        directory = name_lock_directory()
        ensure_private_directory(directory)
        with contextlib.ExitStack() as stack:
            stack.enter_context(exclusive_lock(name_lock_path(directory, self.params["okms_id"], self.params["name"]), timeout,
                                               "credential %r of KMS domain %s" % (self.params["name"], self.params["okms_id"])))
            self.name_locked = True
            pair_file = self.params["private_key_path"] or self.params["certificate_path"]
            if self.params["state"] == "present" and pair_file:
                stack.enter_context(exclusive_lock(pair_lock_path(pair_file), timeout, "the key and certificate files"))
            yield

    def staged_key_note(self):
        if self.staged_key is None:
            return ""
        return ("the key and certificate in place are untouched and the new key is staged at %s, where the next run finds it "
                "and puts the new pair in place once the credential is READY; " % self.staged_key)

    def fail(self, msg, **details):
        """End the module with what was done so far (a created credential, its key when it has no file): nothing is lost."""
        result = dict(self.result)
        result.update(details)
        self.module.fail_json(msg=msg, **result)

    # Input

    def check_input(self):
        """Every check that needs no API call, so that bad input fails before any request."""
        if not HAS_CRYPTOGRAPHY:
            self.module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
        options = ["okms_id", "credential_id", "name", "renew_before_days", "wait_timeout", "now"]
        if self.params["state"] == "present":
            options += ["identity_urns", "description", "validity", "private_key_path", "certificate_path"]
        errors = input_errors(self.params, options) + file_option_errors(self.params)
        if self.params["state"] == "present":
            errors += managed_file_errors(self.params)
            self.csr_pem, csr, csr_error = read_csr(self.params)
            if csr_error:
                errors.append(csr_error)
            elif csr is not None:
                self.csr_public_der = public_key_der(csr)
        fail_on_errors(self.module, errors)
        self.now = parse_timestamp(self.params["now"]) if self.params["now"] else utc_now()

    # state=present

    def ensure_present(self):
        self.result["written_files"] = self.written
        before = self.files_view()
        adopted = None if self.module.check_mode else self.resume_interrupted_replacement()
        existing = adopted if adopted is not None else self.find_existing()
        if existing is not None and existing.get("status") == CREATING and self.params["wait"]:
            existing = self.api.wait_ready(existing["id"], self.params["wait_timeout"])
        before["credential"] = diff_view(self.result_of(existing))
        # An adopted credential was made for this task by the run that staged its key: it is not replaced again at once.
        reasons = self.replacement_reasons(existing) if existing is not None and adopted is None else []
        if existing is None:
            credential = self.create(wait=self.params["wait"])
            self.deploy_files(credential)
        elif reasons:
            credential = self.replace(existing, reasons)
        else:
            credential = existing
            self.deploy_files(credential)
        self.result["changed"] = self.result["changed"] or bool(self.written)
        self.result["credential"] = self.result_of(credential)
        if self.module.check_mode:
            after = self.predicted_files_view(before, credential)
            after["credential"] = diff_view(self.result["credential"]) if credential is not None else self.predicted_credential()
        else:
            after = self.files_view()
            after["credential"] = diff_view(self.result["credential"])
        self.result["diff"] = dict(before=before, after=after)

    def result_of(self, api_credential):
        return credential_result(api_credential, self.now, self.params["renew_before_days"]) if api_credential else None

    # Finding the credential

    def find_existing(self):
        """The credential this task manages (None when there is none), with as few API calls as possible."""
        if self.params["credential_id"]:
            return self.find_by_id(self.params["credential_id"])
        credential = self.find_by_certificate_file()
        if credential is None and self.params["find_by_name"]:
            credential = self.find_by_name()
        return credential

    def find_by_id(self, credential_id):
        credential = self.api.get(credential_id)
        if credential is None or credential.get("status") == DELETING:
            self.fail("credential_id: no credential %s in KMS domain %s%s. Remove credential_id to find or create the credential by name."
                      % (credential_id, self.params["okms_id"], "" if credential is None else " (it is being deleted)"))
        self.check_name(credential)
        self.known_ids.add(credential["id"])
        return credential

    def check_name(self, credential):
        if credential.get("name") != self.params["name"]:
            self.fail("credential_id: credential %s is called %r, not %r (name). Give the name it has, or another credential_id."
                      % (credential["id"], credential.get("name"), self.params["name"]))

    def find_by_certificate_file(self):
        """The credential whose id is the serial number of the certificate at certificate_path, if it is called `name`."""
        certificate = read_certificate_file(self.params["certificate_path"]) if self.params["certificate_path"] else None
        credential_id = credential_id_of(certificate) if certificate else None
        if credential_id is None:
            return None
        credential = self.api.get(credential_id)
        if credential is None and self.params["find_by_name"]:
            # Serial is not id: the certificate's credential among those called `name`, by fingerprint.
            credential = credential_of_certificate(self.params["name"], fingerprint_sha256(certificate), self.named_credentials())
        if credential is None or credential.get("name") != self.params["name"] or credential.get("status") == DELETING:
            return None
        self.known_ids.add(credential["id"])
        return credential

    def named_credentials(self):
        """The credentials called `name`: one listing per run."""
        if not self.listed_by_name:
            self.named = self.api.list_named(self.params["name"])
            self.listed_by_name = True
            self.known_ids.update(credential["id"] for credential in self.named)
        return self.named

    def find_by_name(self):
        named = self.named_credentials()
        alive = [credential for credential in named if credential.get("status") != DELETING]
        if len(alive) > 1:
            ids = ", ".join(credential["id"] for credential in alive)
            self.fail("%d credentials are called %r in KMS domain %s: %s. Pick one with credential_id, and delete the others with "
                      "state=absent and their credential_id." % (len(alive), self.params["name"], self.params["okms_id"], ids),
                      duplicates=[diff_view(self.result_of(credential)) for credential in alive])
        return alive[0] if alive else None

    # Comparing

    def replacement_reasons(self, existing):
        """Why the existing credential is to be replaced ([] to keep it); fails when regenerate=fail and it differs."""
        drift = self.differences(existing)
        decision, reasons = decide_replacement(self.params["regenerate"], drift, self.renewal(existing))
        if decision == FAIL:
            self.fail("Credential %r (%s) in KMS domain %s differs from the task, and a credential cannot be changed: %s. Set "
                      "regenerate=on_drift to replace it with a new credential (the old one is deleted once the new files are "
                      "written), or regenerate=never to keep it."
                      % (self.params["name"], existing["id"], self.params["okms_id"],
                         "; ".join("%s: %s" % (item["reason"], item["message"]) for item in drift)),
                      differences=drift)
        if decision == KEEP:
            for item in reasons:
                self.module.warn("Credential %s (%s) is kept (regenerate=never) although %s" % (existing["id"], item["reason"], item["message"]))
            return []
        return reasons

    def differences(self, existing):
        certificate = load_certificate(existing.get("certificatePEM"))
        found = identity_urns_drift(existing.get("identityURNs"), self.params["identity_urns"])
        found += description_drift(existing.get("description"), self.params["description"])
        found += self.key_origin_differences(existing, certificate)
        found += self.private_key_problem(certificate)
        return found + status_drift(existing.get("status"))

    def key_origin_differences(self, existing, certificate):
        """CSR versus API-generated key, the CSR's public key, the key type."""
        wants_csr = self.csr_public_der is not None
        csr_key_matches = None
        if wants_csr and certificate is not None:
            csr_key_matches = public_key_der(certificate) == self.csr_public_der
        warning = certificate_type_warning(existing)
        if warning:
            self.module.warn(warning)
        return key_origin_drift(existing, wants_csr, csr_key_matches, self.params["certificate_type"])

    def private_key_problem(self, certificate):
        """Why the key at private_key_path cannot be the certificate's ([] when it is, or when it cannot be told)."""
        path = self.params["private_key_path"]
        if not path:
            return []
        public_der, problem = read_private_key_public_der(path)
        certificate_der = public_key_der(certificate) if certificate is not None else None
        return private_key_drift(problem, public_der, certificate_der, path)

    def renewal(self, existing):
        expires_in_days = self.result_of(existing)["expires_in_days"]
        return renewal_due(existing.get("status"), expires_in_days, self.params["renew_before_days"])

    # Creating and replacing

    def replace(self, existing, reasons):
        """A new credential, READY and with its files in place, then the old one deleted: the host is never without a pair.

        An API-generated key is staged beside the key in place and renamed over it only once the certificate is issued
        (see commit_staged_pair): a replacement that times out or fails leaves the old pair untouched.
        """
        replaced = dict(id=existing["id"], reasons=reasons, deleted=False)
        self.result["replaced"] = replaced
        credential = self.csr_replacement_left_behind(existing) or self.create(wait=True, stage=True)
        self.deploy_files(credential)
        if self.params["delete_replaced"]:
            if not self.module.check_mode:
                self.delete_replaced(credential, existing)
            replaced["deleted"] = True
        return credential

    def csr_replacement_left_behind(self, existing):
        """The credential an earlier, interrupted replacement made from this task's CSR, adopted; None when there is none.

        A CSR-based replacement that timed out leaves its credential behind, newer than ``existing``. Its key is the CSR's
        own, still on the host, so it is usable: adopting it keeps one credential per name instead of creating a third.
        Only when it carries the CSR's public key and nothing else about it differs from the task.
        """
        if self.module.check_mode or self.csr_public_der is None:
            return None
        newer_than = parse_timestamp(existing.get("createdAt"))
        for candidate in self.api.list_named(self.params["name"]):
            if candidate["id"] == existing["id"] or candidate.get("status") not in (CREATING, READY):
                continue
            if parse_timestamp(candidate.get("createdAt")) <= newer_than:
                continue
            if candidate.get("status") == CREATING:
                candidate = self.api.wait_ready(candidate["id"], self.params["wait_timeout"])
            if (candidate is not None and lifecycle.ownership_proof(candidate, self.csr_public_der, set(), None, False) == lifecycle.PROOF_CSR
                    and not self.differences(candidate) and not self.renewal(candidate)):
                self.result["changed"] = True
                self.result["adopted"] = candidate["id"]
                return candidate
        return None

    def delete_replaced(self, credential, existing):
        try:
            self.api.delete(existing["id"], self.params["wait_timeout"])
        except (OvhApiError, CredentialWaitTimeout) as exc:
            self.result["credential"] = self.result_of(credential)
            self.fail("The new credential %s is in place (its files are written), but deleting the credential it replaces, %s, failed: "
                      "%s. Delete it with state=absent and credential_id=%s." % (credential["id"], existing["id"], exc, existing["id"]),
                      failure=exc.to_failure() if isinstance(exc, OvhApiError) else None)

    def create(self, wait, stage=False):
        """POST a credential (None in check mode); its private key reaches disk before anything else happens.

        With ``stage``, an API-generated key goes to the staging file beside private_key_path instead of over it.
        """
        if self.module.check_mode:
            self.result["changed"] = True
            return None
        created = self.post(stage and self.api_generates_key() and bool(self.params["private_key_path"]))
        if not wait or created.get("status") != CREATING:
            return self.check_issued(created, created["id"])
        return self.check_issued(self.api.wait_ready(created["id"], self.params["wait_timeout"]), created["id"])

    def check_issued(self, credential, credential_id):
        what, why = lifecycle.issued(credential)
        if what == lifecycle.ISSUED_GONE:
            self.remove_staged_key()
            self.fail("The new credential %s: %s." % (credential_id, why))
        if what == lifecycle.ISSUED_DISCARD:
            self.remove_staged_key()
            self.result.pop("private_key", None)
            self.result["credential"] = self.result_of(credential)
            self.discard_credential(credential, why)
        return credential

    def creation_body(self):
        params = self.params
        return lifecycle.creation_body(params["name"], params["identity_urns"], params["description"], params["validity"],
                                       params["certificate_type"], self.csr_pem)

    def post(self, stage):
        """The created credential. After a POST whose outcome is unknown, look for its result before sending another."""
        body = self.creation_body()
        for dummy in range(MAX_CREATE_ATTEMPTS):
            started = time.time()
            try:
                created = self.api.create(body)
            except OvhOutcomeUnknownError as exc:
                adopted = self.recover_lost_create(exc, started, time.time())
                if adopted is not None:
                    return adopted
                continue
            self.result["changed"] = True
            self.result["credential"] = self.result_of(created)
            self.save_private_key(created, stage)
            return created
        self.fail("The outcome of %d create calls for credential %r was unknown, and none of them can be found; giving up. Last error: %s"
                  % (MAX_CREATE_ATTEMPTS, self.params["name"], self.result["recovered"]["outcome_unknown"][-1]))
        return None

    def save_private_key(self, created, stage):
        """Write the API-generated key, the only copy there will ever be, to private_key_path or its staging file (or into the result)."""
        key_pem = created.get("privateKeyPEM")
        if not key_pem:
            return
        key_path = self.params["private_key_path"]
        if not key_path:
            self.result["private_key"] = pem_text(key_pem)
            if not self.module.no_log:
                self.module.warn("The private key of the new credential %s is returned in the result (private_key) of a task without "
                                 "no_log: set no_log: true on the task, or give private_key_path." % created["id"])
            return
        target = staged_path(key_path) if stage else key_path
        try:
            write_atomically(self.module, pem_text(key_pem).encode("ascii"), dict(self.key_file_args(), path=target))
        except OSError as exc:
            self.discard_credential(created, "its private key could not be written to %s (%s)" % (target, exc.strerror or exc))
        if stage:
            self.staged_key = target
        else:
            self.written.append(key_path)

    def discard_credential(self, created, why):
        """Delete a credential nothing can use (its key is lost, or it has no certificate), then fail: left behind, it would be an orphan."""
        try:
            self.api.delete(created["id"], self.params["wait_timeout"])
            outcome = "it was deleted"
        except (OvhApiError, CredentialWaitTimeout) as exc:
            outcome = "deleting it failed too (%s); delete it with state=absent and credential_id=%s" % (exc, created["id"])
        self.fail("Created credential %s but %s; %s." % (created["id"], why, outcome))

    def recover_lost_create(self, exc, started, ended):
        """After a create call whose outcome is unknown: the credential it made, adopted (CSR), or deleted (API key, keyless).

        Only credentials provably of this run are touched (see ownership_proof); the other new ones of the name are
        reported in possible_orphans. The credentials are listed once the server is surely past the lost call, so that a
        call carried out late is found rather than left behind.
        """
        recovered = self.result.setdefault("recovered", dict(outcome_unknown=[], adopted=None, deleted_orphans=[]))
        possible_orphans = self.result.setdefault("possible_orphans", [])
        recovered["outcome_unknown"].append(str(exc))
        window = lifecycle.creation_window(started, ended, self.api.server_clock_offset())
        time.sleep(max(0.0, ended + lifecycle.LATE_COMMIT_MARGIN - time.time()))
        candidates = [credential for credential in self.api.list_named(self.params["name"])
                      if credential["id"] not in self.known_ids and credential.get("status") != DELETING]
        adopted = None
        for candidate in candidates:
            self.known_ids.add(candidate["id"])
            if self.csr_public_der is not None and candidate.get("fromCSR") and candidate.get("status") == CREATING:
                candidate = self.api.wait_ready(candidate["id"], self.params["wait_timeout"]) or candidate
            proof = lifecycle.ownership_proof(candidate, self.csr_public_der, self.held_public_keys(), window, self.name_locked)
            what, dummy = lifecycle.leftover(proof, key_held=False, adopted_already=adopted is not None)
            if what == lifecycle.REPORT:
                possible_orphans.append(candidate["id"])
            elif what == lifecycle.ADOPT:
                adopted = candidate
                recovered["adopted"] = candidate["id"]
                self.result["changed"] = True
                self.result["credential"] = self.result_of(candidate)
            elif what == lifecycle.DELETE:
                self.api.delete(candidate["id"], self.params["wait_timeout"])
                recovered["deleted_orphans"].append(candidate["id"])
                self.result["changed"] = True
        return adopted

    def held_public_keys(self):
        """Public keys (DER) of the private keys this run holds: the one at private_key_path, and a staged one."""
        held = set()
        for path in (self.params["private_key_path"], self.staged_key):
            if path:
                public_der, dummy = read_private_key_public_der(path)
                if public_der is not None:
                    held.add(public_der)
        return held

    # Resuming a replacement that an earlier run left half done

    def resume_interrupted_replacement(self):
        """Put in place the pair an earlier run staged; the credential of the staged key when it is adopted, else None.

        A replacement that timed out or failed leaves its new key staged beside private_key_path: the credential whose
        certificate carries that key is adopted (its certificate written, both files renamed into place, the credential
        of the old pair deleted with delete_replaced) instead of creating another one. A staged certificate alone is what
        a crash between the two renames leaves: it is renamed into place when it matches the key in place.
        """
        key_path, certificate_path = self.params["private_key_path"], self.params["certificate_path"]
        if not key_path or not self.api_generates_key():
            return None
        staged_key = staged_path(key_path)
        staged_certificate = staged_path(certificate_path) if certificate_path else None
        key_der = certificate_der = problem = own = None
        if os.path.lexists(staged_key):
            key_der, problem = read_private_key_public_der(staged_key)
            own = self.credential_of_staged_key(key_der) if key_der is not None else None
        elif staged_certificate and os.path.lexists(staged_certificate):
            certificate = read_certificate_file(staged_certificate)
            certificate_der = public_key_der(certificate) if certificate is not None else b""
        in_place_der = read_private_key_public_der(key_path)[0] if certificate_der is not None else None
        what, why = lifecycle.staged_pair(key_der, problem, certificate_der, in_place_der, own["id"] if own else None)
        if what == lifecycle.STAGED_UNREADABLE:
            self.fail("%s%s, and run the task again." % (why[0].upper(), why[1:]))
        if what == lifecycle.STAGED_DISCARD_KEY:
            os.remove(staged_key)
            self.module.warn("Removed %s: %s." % (staged_key, why))
        elif what == lifecycle.STAGED_FINISH_SWAP:
            os.rename(staged_certificate, certificate_path)
            self.written.append(certificate_path)
        elif what == lifecycle.STAGED_DISCARD_CERTIFICATE:
            os.remove(staged_certificate)
        elif what == lifecycle.STAGED_ADOPT:
            return self.adopt_staged_key(staged_key, own)
        return None

    def credential_of_staged_key(self, public_der):
        """The live credential called `name` whose certificate carries the staged key (one listing), None if none does."""
        named = [credential for credential in self.api.list_named(self.params["name"]) if credential.get("status") != DELETING]
        self.listed_by_name = True
        self.named = named
        self.known_ids.update(credential["id"] for credential in named)
        return self.credential_of_key(named, public_der)

    def adopt_staged_key(self, staged_key, own):
        named = self.named
        previous = self.credential_in_place([credential for credential in named if credential["id"] != own["id"]])
        self.staged_key = staged_key
        self.commit_staged_pair(own)
        self.result["changed"] = True
        self.result["adopted"] = own["id"]
        if previous is not None:
            replaced = dict(id=previous["id"], deleted=False,
                            reasons=[reason("adopted", "credential %s, which an earlier run created to replace it, is now in place" % own["id"])])
            self.result["replaced"] = replaced
            if self.params["delete_replaced"]:
                self.delete_replaced(own, previous)
                replaced["deleted"] = True
        return own

    def credential_of_key(self, credentials, public_der):
        """The credential whose certificate carries ``public_der`` (waiting for those still CREATING), None if there is none."""
        for credential in credentials:
            if credential.get("status") == CREATING:
                credential = self.api.wait_ready(credential["id"], self.params["wait_timeout"]) or {}
            if lifecycle.ownership_proof(credential, None, {public_der}, None, False) == lifecycle.PROOF_KEY:
                return credential
        return None

    def credential_in_place(self, credentials):
        """Among ``credentials``, the one of the pair in place: named by the certificate file, or carrying the key in place."""
        certificate = read_certificate_file(self.params["certificate_path"]) if self.params["certificate_path"] else None
        certificate_id = credential_id_of(certificate) if certificate else None
        in_place_key, dummy = read_private_key_public_der(self.params["private_key_path"])
        for credential in credentials:
            if credential["id"] == certificate_id or (
                    in_place_key is not None and lifecycle.ownership_proof(credential, None, {in_place_key}, None, False) == lifecycle.PROOF_KEY):
                return credential
        return None

    def commit_staged_pair(self, credential):
        """Stage the certificate, then rename the staged key and the staged certificate into place, in that order.

        A crash between the two renames leaves the new key in place beside the old certificate, with the new
        certificate staged: the next run renames the staged certificate into place (lifecycle.staged_pair).
        """
        key_path, certificate_path = self.params["private_key_path"], self.params["certificate_path"]
        if certificate_path:
            write_atomically(self.module, pem_text(credential["certificatePEM"]).encode("ascii"),
                             dict(self.certificate_file_args(), path=staged_path(certificate_path)))
        os.rename(self.staged_key, key_path)
        self.staged_key = None
        self.written.append(key_path)
        if certificate_path:
            os.rename(staged_path(certificate_path), certificate_path)
            self.written.append(certificate_path)

    def remove_staged_key(self):
        if self.staged_key is not None:
            os.remove(self.staged_key)
            self.staged_key = None

    # Files

    def key_file_args(self):
        file_args = file_arguments(self.module, self.params["private_key_path"], None)
        file_args["mode"] = self.params["private_key_mode"]
        return file_args

    def certificate_file_args(self):
        return file_arguments(self.module, self.params["certificate_path"], PUBLIC_MODE)

    def deploy_files(self, credential):
        """Write the certificate (once issued) and settle the key file's owner, group and mode.

        In check mode a credential about to be created is None: its files are predicted as new.
        """
        certificate_path, key_path = self.params["certificate_path"], self.params["private_key_path"]
        if credential is None:
            self.written.extend(path for path in (certificate_path, key_path if self.api_generates_key() else None) if path)
            return
        certificate_pem = credential.get("certificatePEM")
        if self.staged_key is not None:
            self.commit_staged_pair(credential)
            return
        if key_path and not self.api_generates_key():
            self.fix_csr_key_mode(key_path)
        if certificate_path and certificate_pem and credential.get("status") in (READY, EXPIRED):
            if ensure_file(self.module, pem_text(certificate_pem).encode("ascii"), self.certificate_file_args()):
                self.written.append(certificate_path)
        if key_path and self.api_generates_key() and key_path not in self.written and os.path.exists(key_path):
            if self.module.set_fs_attributes_if_different(self.key_file_args(), False):
                self.written.append(key_path)

    def fix_csr_key_mode(self, key_path):
        """A CSR's key that the group or others may read beyond private_key_mode is mode drift, fixed like any other."""
        wanted = numeric_mode(self.params["private_key_mode"])
        try:
            current = stat.S_IMODE(os.stat(key_path).st_mode)
        except FileNotFoundError:
            return
        if wanted is None or not current & ~int(wanted) & 0o077:
            return
        file_args = dict(file_arguments(self.module, key_path, None), mode=self.params["private_key_mode"], owner=None, group=None)
        if self.module.set_fs_attributes_if_different(file_args, False):
            self.written.append(key_path)

    def api_generates_key(self):
        return self.csr_public_der is None

    def files_view(self):
        """Fingerprints of the files (never their content), for the diff."""
        view = {}
        if self.params["certificate_path"]:
            certificate = read_certificate_file(self.params["certificate_path"])
            view["certificate_file"] = fingerprint_sha256(certificate) if certificate else None
        if self.params["private_key_path"]:
            public_der, dummy = read_private_key_public_der(self.params["private_key_path"])
            view["private_key_file"] = "public key SHA-256 " + public_key_sha256(public_der) if public_der else None
        return view

    def predicted_files_view(self, before, credential):
        """The files as check mode predicts them: new ones for a new credential, else the existing certificate."""
        after = dict(before)
        new_pair = credential is None
        certificate = None if new_pair else load_certificate(credential.get("certificatePEM"))
        if self.params["certificate_path"] in self.written:
            after["certificate_file"] = NOT_KNOWN_YET if new_pair else fingerprint_sha256(certificate)
        if new_pair and self.params["private_key_path"] in self.written:
            after["private_key_file"] = NOT_KNOWN_YET
        return after

    def predicted_credential(self):
        """The diff's view of the credential that check mode says would be created."""
        view = dict.fromkeys(("id", "expired_at", "fingerprint_sha256", "serial"), NOT_KNOWN_YET)
        view.update(name=self.params["name"], description=self.params["description"], identity_urns=list(self.params["identity_urns"]),
                    certificate_type=self.params["certificate_type"], status=READY if self.params["wait"] else CREATING)
        return view

    # state=absent

    def ensure_absent(self):
        if self.params["credential_id"]:
            credential = self.api.get(self.params["credential_id"])
            if credential is not None:
                self.check_name(credential)
            targets = [credential] if credential is not None else []
        else:
            targets = self.api.list_named(self.params["name"])
        to_delete = [credential for credential in targets if lifecycle.deletion(credential, self.params["name"], lifecycle.PROOF_ASKED)[0]]
        self.result["diff"] = dict(before=dict(credentials=[diff_view(self.result_of(credential)) for credential in to_delete]),
                                   after=dict(credentials=[]))
        self.result["deleted"] = [credential["id"] for credential in to_delete] if self.module.check_mode else []
        if not self.module.check_mode:
            for credential in to_delete:
                self.api.delete(credential["id"], self.params["wait_timeout"])
                self.result["deleted"].append(credential["id"])
            if self.params["wait"]:
                for credential in targets:
                    self.api.wait_gone(credential["id"], self.params["wait_timeout"])
        paths = (self.params["private_key_path"], self.params["certificate_path"]) if self.params["remove_files"] else ()
        self.result["removed_files"] = [path for path in paths if path and remove_file(self.module, path)]
        self.result["changed"] = bool(self.result["deleted"] or self.result["removed_files"])


def staged_path(path):
    """Where a replacement stages the new file that is renamed over ``path`` once the pair is complete."""
    return path + STAGED_SUFFIX

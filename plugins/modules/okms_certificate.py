#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_certificate
short_description: Issue, keep, renew and revoke OVHcloud KMS access certificates (credentials)
version_added: 0.1.0
description:
  - Makes sure a KMS domain (OKMS) has one credential - an X.509 client certificate that gives access to the domain - with
    the given name, and writes its private key and certificate to files; or deletes it.
  - A credential cannot be changed once issued and its private key is returned only once, by the call that creates it.
    The module therefore finds the existing credential (by O(credential_id), by the serial number of the certificate at
    O(certificate_path) or, when that serial is not a credential id, by the certificate's fingerprint among the credentials
    called O(name), or by O(name)), compares it with the task and, depending on O(regenerate), keeps it, replaces it
    or fails saying what differs.
  - An API-generated private key is written (mode 0600 from the first byte, atomically) as soon as the API returns it,
    before anything else can fail - to O(private_key_path) for a new credential, and to a staging file beside it when
    the credential replaces one whose pair is in place (see O(regenerate)).
  - With O(csr) or O(csr_path) the private key never leaves the machine that made the CSR; the API signs the CSR.
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - okms.access.api
  - okms.access.credential
  - ansible.builtin.files
  - ansible.builtin.action_common_attributes
  - okms.access.pipelined
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes no API write (no create, no delete) and writes no file. It still reads the API, and waits for a
        credential found in C(CREATING) when O(wait=true), so that the predicted C(changed) is exact.
  diff_mode:
    support: full
    details:
      - The diff shows credential metadata (id, name, description, identity URNs, certificate type, status, expiry,
        serial, SHA-256 fingerprint) and the fingerprints of the files, never key material.
  platform:
    platforms: posix
options:
  okms_id:
    description:
      - ID (UUID) of the KMS domain.
    type: str
    required: true
  name:
    description:
      - Name of the credential, 1 to 50 printable ASCII characters.
      - The API does not make names unique. With O(state=present) the module fails when several credentials of the domain
        have this name, listing their ids, unless O(credential_id) picks one.
    type: str
    required: true
  state:
    description:
      - V(present) makes sure the credential exists and its files are written.
      - V(absent) deletes every credential of the domain with this O(name), or only O(credential_id) when given, and waits
        until they are gone when O(wait=true). Files are removed only with O(remove_files=true).
    type: str
    choices: [present, absent]
    default: present
  credential_id:
    description:
      - ID (UUID) of the credential to manage, for example one of several credentials with the same name.
      - It must exist and be called O(name); the module then reads it with one GET and never lists the domain.
    type: str
  identity_urns:
    description:
      - IAM identities allowed to use the credential, 1 to 25 URNs of the form
        C(urn:v1:{eu|ca|us}:identity:{account|user|group|credential}:{nic}[/{id}]), for example
        V(urn:v1:eu:identity:account:xx1111-ovh) or V(urn:v1:eu:identity:user:xx1111-ovh/john.smith).
      - Required with O(state=present). Compared with the existing credential as a set (order and repetitions do not matter).
    type: list
    elements: str
  description:
    description:
      - Description of the credential, at most 200 printable ASCII characters.
      - When not set or empty, an existing credential's description is not compared.
    type: str
  validity:
    description:
      - Validity of a new credential in days, 1 to 365. The API's default is 365.
      - Not compared with an existing credential (its expiry is fixed when issued); see O(renew_before_days).
    type: int
  certificate_type:
    description:
      - Key type of an API-generated key, V(ECDSA) (P-256) or V(RSA). The API's default is V(ECDSA).
      - When not set, an existing credential's type is not compared.
      - Mutually exclusive with O(csr) and O(csr_path).
    type: str
    choices: [ECDSA, RSA]
  csr:
    description:
      - PEM certificate signing request to have signed instead of letting the API generate a key.
      - Checked before any API call - it must parse, its signature must verify, and its key must be RSA of at least
        2048 bits or EC of at least 224 bits (Ed25519, Ed448 and DSA keys are refused, since the API issues only ECDSA and RSA
        certificates). Curves, larger sizes and the CSR's length are left to the API, since OVH publishes no limit.
      - An existing credential whose certificate carries another public key than the CSR's differs from the task (see
        O(regenerate)).
      - Mutually exclusive with O(csr_path) and O(certificate_type).
    type: str
  csr_path:
    description:
      - Path of a PEM CSR file on the machine running the module, used like O(csr).
      - Mutually exclusive with O(csr) and O(certificate_type).
    type: path
  private_key_path:
    description:
      - Where the API-generated private key of a new credential is written, through a file created with mode 0600 and
        renamed into place, before the module waits for the certificate or does anything else.
      - When the new credential replaces another, its key is written to O(private_key_path) with C(.new) appended, and the
        certificate likewise beside O(certificate_path); both are renamed into place (key first) once the certificate is
        issued. A run that times out or fails leaves the pair in place untouched and the new key staged; the next run
        adopts the credential whose certificate carries the staged key (RV(adopted)) instead of creating another one.
      - The key of an existing credential is checked against its certificate; a missing or non-matching key means the key
        is lost (see O(regenerate)).
      - For a CSR-based credential, the private key of the CSR, when it is on the machine running the module; it is only
        checked against the certificate, never written.
      - Without it, the key of a newly created API-key credential is returned as RV(private_key); such a task needs
        C(no_log=true).
      - The directory must exist and must not be writable by other users unless it is sticky and owned by root or the
        user running the module. The path must not be a symbolic link, a FIFO, a device or a socket, and must name
        another file than O(certificate_path) and O(csr_path) (compared after resolving links). All of this is checked
        before any API call.
    type: path
  private_key_mode:
    description:
      - Mode of the private key file, as a quoted octal string such as V('0600') or V('0640'). Modes that give any access
        to other users, let the group write, or set the setuid, setgid or sticky bits are refused.
      - An integer is taken as the mode it is (YAML reads an unquoted V(0600) as 384, which is mode 0600, but V(600) as
        mode 1130, which is refused); quote the mode.
      - The key file also gets O(owner), O(group) and the other file options; O(mode) applies to the certificate only.
    type: raw
    default: '0600'
  certificate_path:
    description:
      - Where the certificate (PEM) is written once the credential is C(READY), with the file options O(owner), O(group)
        and O(mode) (default V(0644)).
      - When this file already holds a certificate of a credential called O(name), that credential is read with one GET by
        id and the domain is not listed - the cheap path of an idempotent run.
      - The directory and the path are checked like those of O(private_key_path).
    type: path
  regenerate:
    description:
      - What to do when the existing credential differs from the task - its identity URNs, description, certificate type,
        CSR public key, or whether it was made from a CSR; its key is lost (O(private_key_path) missing or not matching the
        certificate); or its status is C(EXPIRED) or C(ERROR).
      - V(never) keeps the existing credential whatever differs, and warns; it is not renewed either.
      - V(fail) fails and lists each difference; nothing is changed. A credential due for renewal (O(renew_before_days)) is
        still replaced.
      - V(on_drift) replaces the credential when it differs or is due for renewal.
      - V(always) replaces the credential on every run.
      - O(validity) is not compared.
      - Replacing creates the new credential, waits until it is C(READY) (whatever O(wait) says), writes the files, and only
        then deletes the old one (O(delete_replaced)). A new credential that ends in C(ERROR) is deleted, and the old pair
        is kept.
    type: str
    choices: [never, fail, on_drift, always]
    default: fail
  delete_replaced:
    description:
      - Delete the replaced credential once the new one's files are written.
      - With V(false), the replaced credential stays (RV(replaced.id)); delete it later with O(state=absent) and
        O(credential_id), for example after services have reloaded the new certificate. Until then, two credentials have
        the same name, so find the new one by O(certificate_path) or O(credential_id).
    type: bool
    default: true
  wait:
    description:
      - Wait until a new credential is C(READY) (and its certificate written), polling with exponential backoff.
      - With O(state=absent), wait until the deleted credentials are gone.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait, per credential. A timeout fails naming the credential id, and the result holds the credential, so
        that nothing is left behind silently.
    type: int
    default: 120
  remove_files:
    description:
      - With O(state=absent), also remove O(private_key_path) and O(certificate_path).
    type: bool
    default: false
  find_by_name:
    description:
      - Whether to list the domain's credentials to find one called O(name) when neither O(credential_id) nor the
        certificate at O(certificate_path) leads to it.
      - With V(false) the module never lists the domain (except to recover after a lost answer to a create); when nothing
        else leads to an existing credential it creates one. For callers that already listed the domain once, for example a
        play that ran M(okms.access.okms_certificate_info) with O(okms.access.okms_certificate_info#module:query) once and
        passes O(credential_id) to each host, so that the API cost of a fleet run does not grow with the domain's size.
    type: bool
    default: true
notes:
  - After a create call whose outcome is unknown (connection lost, timeout, HTTP 5xx), the module first waits until 5
    seconds have passed since it stopped waiting for the answer, since the server may still carry the call out, then
    lists the credentials called O(name) that it had not seen before. It touches only those it can prove are its own - a
    CSR-based one whose certificate carries the CSR's public key is adopted; one whose certificate carries a key the
    module holds is left alone; an API-key one created, by the server's clock, between the start of the call and the end
    of the wait is deleted (its private key was never received), which the lock of the name (below) makes safe on one
    machine. The server's clock is read from C(/auth/time) (no authentication, for both authentication methods). Any
    other new credential of the name is never deleted; its id is reported in RV(possible_orphans). The credential is then
    created again (at most 3 create calls). The result says what happened in RV(recovered).
  - One writer at a time. While it changes anything (not in check mode), the module holds an exclusive C(flock) lock per
    KMS domain and credential name on the machine running it (a file named by a hash of both in
    C($XDG_RUNTIME_DIR/okms-access-locks), else C(/tmp/okms-access-locks-<uid>), a directory of mode 0700 that must
    belong to the user), then one beside the files (C(.<private key file name>.lock), or of the certificate file when
    there is no key file). It waits for them at most O(wait_timeout) seconds, then fails without doing anything. Two
    runs on one machine for one name therefore end with one credential and a matching pair on disk; the lock files stay.
  - The locks do not reach across machines. Runs for the same name from two controllers (or by two users of one
    controller) are not serialized; they may create two credentials, and a lost create call's recovery may delete a
    credential of the name that the other created inside its own time window. Run one controller per credential name.
  - A replacement renames the staged key into place, then the staged certificate. A crash between the two renames leaves
    the new key beside the old certificate and the new certificate staged; the next run renames the staged certificate
    into place when it matches the key.
  - Renewal and replacement create a new credential with a new id; the certificate's serial number changes with it.
  - Timestamps are compared with the clock of the machine running the module (see O(now)).
requirements:
  - cryptography >= 3.4
seealso:
  - module: okms.access.okms_certificate_info
  - name: OVHcloud KMS documentation
    description: How KMS domains and their access certificates work.
    link: https://help.ovhcloud.com/csm/en-ie-kms-quick-start?id=kb_article_view&sysparm_article=KB0063362
"""

EXAMPLES = r"""
# These examples use the variables okms_id (the KMS domain id), okms_nic (the account's NIC handle, as in
# xx1111-ovh) and okms_dir (an existing directory). Connection options come from module_defaults, the OVH_*
# environment variables or ovh.conf.

- name: Give this machine an API-generated credential, key and certificate written to files
  okms.access.okms_certificate:
    okms_id: "{{ okms_id }}"
    name: web-1
    identity_urns:
      - "urn:v1:eu:identity:account:{{ okms_nic }}"
    description: web server 1
    private_key_path: "{{ okms_dir }}/domain.key"
    certificate_path: "{{ okms_dir }}/client.cert"
  register: web_1

- name: Show the credential and its expiry
  ansible.builtin.debug:
    msg: "{{ web_1.credential.id }} expires in {{ web_1.credential.expires_in_days }} days"

- name: Renew it 30 days before it expires, and replace it if its key file is lost or the identities change
  okms.access.okms_certificate:
    okms_id: "{{ okms_id }}"
    name: web-1
    identity_urns:
      - "urn:v1:eu:identity:account:{{ okms_nic }}"
      - "urn:v1:eu:identity:group:{{ okms_nic }}/web"
    description: web server 1
    private_key_path: "{{ okms_dir }}/domain.key"
    certificate_path: "{{ okms_dir }}/client.cert"
    renew_before_days: 30
    regenerate: on_drift
  register: web_1
  notify: Reload the services that use the KMS

- name: Make a key and a CSR locally, so that the private key never leaves this machine
  community.crypto.openssl_privatekey:
    path: "{{ okms_dir }}/app.key"
    type: ECC
    curve: secp256r1

- name: Write the CSR
  community.crypto.openssl_csr:
    path: "{{ okms_dir }}/app.csr"
    privatekey_path: "{{ okms_dir }}/app.key"
    common_name: app-1

- name: Have the CSR signed; the certificate is written once READY
  okms.access.okms_certificate:
    okms_id: "{{ okms_id }}"
    name: app-1
    identity_urns:
      - "urn:v1:eu:identity:account:{{ okms_nic }}"
    csr_path: "{{ okms_dir }}/app.csr"
    private_key_path: "{{ okms_dir }}/app.key"
    certificate_path: "{{ okms_dir }}/app.cert"
    mode: "0640"
    validity: 90

- name: Create an RSA credential and keep its key in a variable only (never shown, thanks to no_log)
  okms.access.okms_certificate:
    okms_id: "{{ okms_id }}"
    name: vault-transit
    identity_urns:
      - "urn:v1:eu:identity:account:{{ okms_nic }}"
    certificate_type: RSA
  register: vault_transit
  no_log: true

- name: Delete every credential called web-1 and its files
  okms.access.okms_certificate:
    okms_id: "{{ okms_id }}"
    name: web-1
    state: absent
    private_key_path: "{{ okms_dir }}/domain.key"
    certificate_path: "{{ okms_dir }}/client.cert"
    remove_files: true

- name: Delete one credential among several with the same name
  okms.access.okms_certificate:
    okms_id: "{{ okms_id }}"
    name: vault-transit
    credential_id: "{{ vault_transit.credential.id }}"
    state: absent
"""

RETURN = r"""
credential:
  description:
    - The credential after the task (with O(state=present)).
    - In check mode, the existing credential when it is kept, or V(null) when a new one would be created (also to replace
      the existing one, see RV(replaced)).
  returned: state is present
  type: dict
  contains:
    id:
      description: ID (UUID) of the credential.
      type: str
      sample: 5a3a6e27-6f1c-4d8e-9c55-2f0d2a4b1e77
    name:
      description: Name of the credential.
      type: str
      sample: web-1
    description:
      description: Description of the credential.
      type: str
      sample: web server 1
    identity_urns:
      description: IAM identities allowed to use the credential.
      type: list
      elements: str
      sample: ["urn:v1:eu:identity:account:xx1111-ovh"]
    status:
      description: C(CREATING), C(READY), C(DELETING), C(ERROR) or C(EXPIRED).
      type: str
      sample: READY
    from_csr:
      description: Whether the credential was made from a CSR (its private key was never seen by the API).
      type: bool
      sample: false
    certificate_type:
      description: C(ECDSA) or C(RSA).
      type: str
      sample: ECDSA
    created_at:
      description: Creation time, RFC 3339.
      type: str
      sample: "2026-04-04T12:26:28.856619+02:00"
    expired_at:
      description: Expiry time (the certificate's notAfter), RFC 3339.
      type: str
      sample: "2027-04-04T12:26:28.856619+02:00"
    certificate_pem:
      description: The certificate (PEM, real newlines); V(null) until the credential is C(READY).
      type: str
      sample: "-----BEGIN CERTIFICATE-----\nMIIB...\n-----END CERTIFICATE-----\n"
    serial:
      description:
        - Serial number of the certificate as 32 lowercase hex digits, as C(openssl x509 -serial) prints it. For an OKMS
          certificate it is the credential id without its dashes.
        - V(null) until the credential is C(READY).
      type: str
      sample: 5a3a6e276f1c4d8e9c552f0d2a4b1e77
    fingerprint_sha256:
      description: SHA-256 fingerprint of the DER certificate, colon-separated uppercase hex; V(null) until C(READY).
      type: str
      sample: "3B:9F:...:A0"
    expires_in_days:
      description: Days from now (or O(now)) until C(expired_at), a float with two decimals; negative once expired.
      type: float
      sample: 364.99
    should_renew:
      description: Whether the credential is due for renewal according to O(renew_before_days) (always when C(EXPIRED)).
      type: bool
      sample: false
private_key:
  description:
    - The API-generated private key (PEM) of the credential this run created.
    - Only when O(private_key_path) is not set; the API never returns it again. Use C(no_log) on such a task; without
      it, the module warns.
    - Also returned by a failed run that had already created the credential, so that the key is not lost.
  returned: when an API-key credential was created without private_key_path
  type: str
replaced:
  description: The credential that this run replaced, and why.
  returned: when a credential was (or in check mode would be) replaced
  type: dict
  contains:
    id:
      description: ID of the replaced credential.
      type: str
    reasons:
      description: Why it was replaced.
      type: list
      elements: dict
      contains:
        reason:
          description:
            - C(identity_urns), C(description), C(certificate_type), C(csr), C(private_key_path) (key lost), C(status)
              (C(EXPIRED) or C(ERROR)), C(renew_before_days) (due for renewal), C(regenerate) (V(always)), or C(adopted)
              (the replacement that an earlier run staged is now in place, see RV(adopted)).
          type: str
        message:
          description: What differed.
          type: str
    deleted:
      description: Whether the replaced credential was deleted (O(delete_replaced)).
      type: bool
  sample:
    id: 0b1e7c55-3a8d-4bd0-8c1e-8e3f9b7a6d21
    reasons:
      - reason: renew_before_days
        message: "it expires in 12.5 days, within renew_before_days=30"
    deleted: true
recovered:
  description: What the module did after a create call whose outcome was unknown.
  returned: when a create call's outcome was unknown
  type: dict
  contains:
    outcome_unknown:
      description: The errors of the create calls whose outcome was unknown.
      type: list
      elements: str
    adopted:
      description: ID of the CSR-based credential that the lost call had created, now managed by this task.
      type: str
    deleted_orphans:
      description:
        - IDs of API-key credentials that the lost calls had created, deleted since their keys were never received.
        - Only credentials created, by the server's clock, within the lost call's time window while this run held the
          lock of the name.
      type: list
      elements: str
possible_orphans:
  description:
    - IDs of credentials called O(name) that appeared while a create call's outcome was unknown but that cannot be proven
      to be this run's (another run's, or a lost call carried out later than the module waited for). They are never
      deleted; check them and delete the ones nobody uses with O(state=absent) and O(credential_id).
  returned: when a create call's outcome was unknown
  type: list
  elements: str
  sample: []
adopted:
  description:
    - ID of the credential that an earlier, failed or timed-out replacement created and whose key it left staged beside
      O(private_key_path); this run put its key and certificate in place instead of creating another credential.
    - With a CSR, the credential that an earlier, timed-out replacement made from the same CSR (it carries the CSR's
      public key, is newer than the credential it replaces and matches the task); this run deploys it instead of
      creating another credential.
  returned: when a staged key was found, or a CSR's earlier replacement, and its credential adopted
  type: str
deleted:
  description: IDs of the credentials deleted (or that would be deleted in check mode).
  returned: state is absent
  type: list
  elements: str
  sample: ["5a3a6e27-6f1c-4d8e-9c55-2f0d2a4b1e77"]
removed_files:
  description: Files removed (or that would be removed in check mode) with O(remove_files=true).
  returned: state is absent
  type: list
  elements: str
  sample: ["/etc/okms/domain.key", "/etc/okms/client.cert"]
written_files:
  description: Files written or whose owner, group or mode changed (or would, in check mode).
  returned: state is present
  type: list
  elements: str
  sample: ["/etc/okms/domain.key", "/etc/okms/client.cert"]
"""

import contextlib
import datetime
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
    ERROR,
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
    ownership_proof,
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
from ansible_collections.okms.access.plugins.module_utils._files import ensure_file, file_arguments, numeric_mode, remove_file, write_atomically
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
# Seconds, after the client stopped waiting for a create call whose answer was lost, by which the server is taken to
# have carried it out (or not): the credentials of the name are listed only then, and a credential the server created
# up to then (by its clock) counts as the call's.
LATE_COMMIT_MARGIN = 5.0
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
        private_key_mode=dict(type="raw", default="0600", no_log=False),
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
            if (candidate is not None and ownership_proof(candidate, self.csr_public_der, set(), None, False) == "csr"
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
        if credential is None:
            self.remove_staged_key()
            self.fail("The new credential %s disappeared while waiting for its certificate: someone deleted it." % credential_id)
        if credential.get("status") == ERROR:
            # Nothing can ever use a credential in ERROR (it has no certificate): it is deleted rather than left behind.
            self.remove_staged_key()
            self.result.pop("private_key", None)
            self.result["credential"] = self.result_of(credential)
            self.discard_credential(credential, "the API could not issue its certificate (status ERROR)")
        return credential

    def creation_body(self):
        body = {"name": self.params["name"], "identityURNs": list(self.params["identity_urns"])}
        for option, key in (("description", "description"), ("validity", "validity"), ("certificate_type", "certificateType")):
            if self.params[option] not in (None, ""):  # OVH's control panel never sends an empty description
                body[key] = self.params[option]
        if self.csr_pem is not None:
            body["csr"] = self.csr_pem
        return body

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
        low_offset, high_offset = self.api.server_clock_offset()
        time.sleep(max(0.0, ended + LATE_COMMIT_MARGIN - time.time()))
        window = (utc_datetime(started + low_offset), utc_datetime(ended + LATE_COMMIT_MARGIN + high_offset))
        candidates = [credential for credential in self.api.list_named(self.params["name"])
                      if credential["id"] not in self.known_ids and credential.get("status") != DELETING]
        adopted = None
        for candidate in candidates:
            self.known_ids.add(candidate["id"])
            if self.csr_public_der is not None and candidate.get("fromCSR") and candidate.get("status") == CREATING:
                candidate = self.api.wait_ready(candidate["id"], self.params["wait_timeout"]) or candidate
            proof = ownership_proof(candidate, self.csr_public_der, self.held_public_keys(), window, self.name_locked)
            if proof is None:
                possible_orphans.append(candidate["id"])
            elif proof == "csr" and adopted is None:
                adopted = candidate
                recovered["adopted"] = candidate["id"]
                self.result["changed"] = True
                self.result["credential"] = self.result_of(candidate)
            elif proof == "window":
                # An API-key credential of the lost call: its private key was never received, nothing can use it.
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
        if os.path.lexists(staged_path(key_path)):
            return self.adopt_staged_key(staged_path(key_path))
        if certificate_path and os.path.lexists(staged_path(certificate_path)):
            self.finish_certificate_swap(staged_path(certificate_path))
        return None

    def adopt_staged_key(self, staged_key):
        public_der, problem = read_private_key_public_der(staged_key)
        if problem:
            self.fail("A staged private key is in the way: %s. Remove it, or put it in place by hand, and run the task again." % problem)
        named = [credential for credential in self.api.list_named(self.params["name"]) if credential.get("status") != DELETING]
        self.listed_by_name = True
        self.known_ids.update(credential["id"] for credential in named)
        own = self.credential_of_key(named, public_der)
        if own is None:
            # Its credential is gone, or ended in ERROR without a certificate: the staged key can never be used.
            os.remove(staged_key)
            self.module.warn("Removed %s: no credential called %r has a certificate for that key." % (staged_key, self.params["name"]))
            return None
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
            if ownership_proof(credential, None, {public_der}, None, False) == "key":
                return credential
        return None

    def credential_in_place(self, credentials):
        """Among ``credentials``, the one of the pair in place: named by the certificate file, or carrying the key in place."""
        certificate = read_certificate_file(self.params["certificate_path"]) if self.params["certificate_path"] else None
        certificate_id = credential_id_of(certificate) if certificate else None
        in_place_key, dummy = read_private_key_public_der(self.params["private_key_path"])
        for credential in credentials:
            if credential["id"] == certificate_id or (
                    in_place_key is not None and ownership_proof(credential, None, {in_place_key}, None, False) == "key"):
                return credential
        return None

    def finish_certificate_swap(self, staged_certificate):
        certificate = read_certificate_file(staged_certificate)
        key_der, dummy = read_private_key_public_der(self.params["private_key_path"])
        if certificate is not None and key_der is not None and public_key_der(certificate) == key_der:
            os.rename(staged_certificate, self.params["certificate_path"])
            self.written.append(self.params["certificate_path"])
        else:
            os.remove(staged_certificate)

    def commit_staged_pair(self, credential):
        """Stage the certificate, then rename the staged key and the staged certificate into place, in that order.

        A crash between the two renames leaves the new key in place beside the old certificate, with the new
        certificate staged: the next run renames the staged certificate into place (finish_certificate_swap).
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
        return file_arguments(self.module, self.params["certificate_path"], "0644")

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
        if wanted is None or not current & ~wanted & 0o077:
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
        to_delete = [credential for credential in targets if credential.get("status") != DELETING]
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


def utc_datetime(unix_seconds):
    return datetime.datetime.fromtimestamp(unix_seconds, datetime.timezone.utc)


def main():
    module = OkmsCertificate.build_module(
        supports_check_mode=True,
        add_file_common_args=True,
        mutually_exclusive=[("csr", "csr_path", "certificate_type")],
        required_if=[("state", "present", ["identity_urns"])],
    )
    OkmsCertificate(module).run()


if __name__ == "__main__":
    main()

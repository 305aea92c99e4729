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
  - "IAM actions (prefix C(okms:apiovh:)) on the domain: C(credential/get), C(credential/create) (a new or replacement
    credential) and C(credential/delete) (a replaced credential, O(state=absent), and the recovery after a lost create
    call). Check mode needs C(credential/get) only."
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
        - Serial number of the certificate as 32 lowercase hex digits, as C(openssl x509 -serial) prints it. In OVH's
          published examples it is the credential id without its dashes; the module does not rely on that (a serial
          that names no credential is matched by the certificate's fingerprint).
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

from ansible_collections.okms.access.plugins.module_utils._okms_certificate import OkmsCertificate


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

#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r"""
module: okms_client_files
short_description: Read, stage and put in place the OKMS key and certificate files of a host
version_added: 0.1.0
description:
  - The host side of the role M(okms.access.okms_client) - the action plugin of the role C(okms.access.client) runs it on each
    host, once per step, and makes the API calls itself on the controller. It is not meant to be used on its own.
  - O(action=read) reports the files (mode, owner, group, SHA-1 of the CA and okms-cli files), the credential id that the
    certificate's serial number encodes, the SHA-256 of the public keys of the private key and of the certificate, and, with
    O(verify_url), whether the host's files give access to the KMS domain over mutual TLS.
  - O(action=stage) writes a new private key beside the current one (made on the host, with its CSR returned, or
    O(key_pem) as given), through a file that has mode 0600 from its first byte.
  - O(action=apply) puts a new certificate and the staged key in place once they match, fixes owners and modes, writes the
    CA and okms-cli files, removes leftovers, then checks the access over mutual TLS.
  - O(action=remove) removes the files, and the directory once it is empty.
  - O(action=check) reports an O(owner) or O(group) that does not exist on the host; it changes nothing.
  - Private keys never appear in its results.
author:
  - okms.access contributors (@okms-access)
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - O(action=read) runs in check mode; the other actions predict and change nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  action:
    description: What to do.
    type: str
    choices: [read, stage, apply, remove, check]
    required: true
  paths:
    description:
      - The paths of the files, by role - C(dir), C(key), C(cert), C(ca), C(cli), C(key_new), C(cert_new), and optionally
        C(ca_rsa) (the CA of the KMIP endpoint for RSA certificates).
    type: dict
    required: true
  owner:
    description: Owner of the files (empty - the user running the module).
    type: str
    default: ""
  group:
    description: Group of the files (empty - the user's group).
    type: str
    default: ""
  key_mode:
    description: Mode of the private key file.
    type: str
    default: "0600"
  verify_url:
    description:
      - The KMS domain's REST API, C({restEndpoint}/api/{okmsId}), asked over mutual TLS with the host's files; no check when
        not set.
      - The check asks C(GET /v1/random?length=1), and C(GET /v2/secretConfig) when that route answers 404. A refusal of the
        authorization category (the identity lacks the route's IAM action) still proves that the domain accepts the
        certificate; the result then carries a warning naming the action.
    type: str
  verify_timeout:
    description: Seconds to wait for the mutual TLS answer.
    type: int
    default: 10
  key_type:
    description: With O(action=stage) and no O(key_pem), the type of the key made on the host.
    type: str
    choices: [ECDSA, RSA]
    default: ECDSA
  rsa_key_size:
    description: Size of an RSA key made on the host.
    type: int
    default: 2048
  common_name:
    description: Common name of the CSR of a key made on the host.
    type: str
  key_pem:
    description: With O(action=stage) or O(action=apply), an API-generated private key (PEM) to stage.
    type: str
  certificate_pem:
    description: With O(action=apply), the new certificate; the staged key must match it.
    type: str
  attrs:
    description: With O(action=apply), the paths of files whose owner, group and mode are fixed, each with its C(mode).
    type: list
    elements: dict
    default: []
  ca_pem:
    description: With O(action=apply), the content of the CA file.
    type: str
  ca_rsa_pem:
    description: With O(action=apply), the content of the CA file of the KMIP endpoint for RSA certificates (path C(ca_rsa)).
    type: str
  cli_content:
    description: With O(action=apply), the content of the okms-cli configuration file.
    type: str
  fix_dir:
    description: With O(action=apply), create the directory or fix its owner, group and mode.
    type: bool
    default: false
  remove:
    description: Paths to remove (staged leftovers with O(action=apply), the files with O(action=remove)).
    type: list
    elements: path
    default: []
  remove_dir:
    description: With O(action=remove), remove the directory when it is empty.
    type: bool
    default: false
  metrics:
    description:
      - With O(action=read) or O(action=apply), also write a node_exporter text file about the certificate in place and the
        access check just made (not in check mode) - C(path) (the C(.prom) file), C(name) and C(okms_id) (labels),
        C(renew_before_days) and C(renew_fraction) (for C(okms_certificate_renewal_timestamp_seconds)).
      - The file is written atomically with mode 0644; writing it never counts as a change.
    type: dict
  discard_staged_key:
    description:
      - With O(action=stage) or O(action=apply), the public key SHA-256 of a staged key to remove first
        (what a read found and the plan discards). A staged key with another public key is never removed; the stage
        fails rather than overwrite it.
    type: str
    default: ""
  finish_swap:
    description:
      - With O(action=apply), rename the staged certificate into place when it is the certificate of the key in place
        (what a run stopped between the key's rename and the certificate's leaves).
    type: bool
    default: false
  expected_key:
    description:
      - With O(action=apply) and O(certificate_pem), the public key SHA-256 of the key the pair replaces, as a read found
        it (empty when there was none); the new pair is not put in place when the key in place is another one by then.
    type: str
requirements:
  - cryptography >= 3.4
seealso:
  - module: okms.access.okms_client
"""

EXAMPLES = r"""
- name: Read what the host holds (the role's action plugin does this)
  okms.access.okms_client_files:
    action: read
    paths:
      dir: /etc/okms
      key: /etc/okms/domain.key
      cert: /etc/okms/client.cert
      ca: /etc/okms/ca.pem
      cli: /etc/okms/okms.yaml
      key_new: /etc/okms/domain.key.new
      cert_new: /etc/okms/client.cert.new
  register: held
"""

RETURN = r"""
files:
  description: Per role of O(paths), C(null) when absent, else its C(mode), C(owner), C(uid), C(group), C(gid), C(isdir) and C(checksum).
  returned: action is read
  type: dict
credential_id:
  description: The credential id that the certificate's serial number encodes (empty without one).
  returned: action is read
  type: str
key_public_sha256:
  description: SHA-256 of the private key's public key (the current key with O(action=read), the staged one with O(action=stage)).
  returned: action is read or stage
  type: str
certificate_public_sha256:
  description: SHA-256 of the certificate's public key.
  returned: action is read
  type: str
certificate_fingerprint:
  description:
    - SHA-256 fingerprint of the certificate (DER), colon-separated uppercase hex. It finds the certificate's credential
      among those of its name when the serial number is not the credential id.
  returned: action is read
  type: str
key_problem:
  description: Why the private key cannot be read.
  returned: action is read
  type: str
certificate_problem:
  description: Why the certificate cannot be used.
  returned: action is read
  type: str
problems:
  description: Per option (C(owner), C(group)), why it cannot be used on the host; empty when both can.
  returned: action is check
  type: dict
staged_key_public_sha256:
  description: SHA-256 of the public key of the staged key (C(null) without one).
  returned: action is read
  type: str
staged_key_problem:
  description: Why the staged key cannot be read.
  returned: action is read
  type: str
staged_certificate:
  description: The staged certificate's C(public_sha256), C(fingerprint) and C(credential_id) (empty strings when it is not readable); C(null) without one.
  returned: action is read
  type: dict
csr:
  description: The CSR of a key made on the host.
  returned: action is stage without key_pem
  type: str
verify:
  description:
    - The mutual TLS check - C(ok) (the domain accepts the certificate), C(msg) (why not), C(warning) (the IAM action
      the identity lacks, when the domain accepted the certificate but refused the route) and C(url) (the route asked);
      C(null) when it was not made.
  returned: always
  type: dict
"""

import hashlib
import os
import time
import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.okms.access.plugins.module_utils import _metrics as metrics
from ansible_collections.okms.access.plugins.module_utils._access import check_access
from ansible_collections.okms.access.plugins.module_utils._credential import (
    CRYPTOGRAPHY_IMPORT_ERROR,
    HAS_CRYPTOGRAPHY,
    credential_id_of,
    fingerprint_sha256,
    load_certificate,
    public_key_der,
    public_key_sha256,
    read_certificate_file,
    read_private_key_public_der,
    renew_window_days,
    validity_timestamps,
)
from ansible_collections.okms.access.plugins.module_utils._files import (
    DIRECTORY_MODE,
    PUBLIC_MODE,
    SECRET_MODE,
    ensure_file,
    read_bytes,
    remove_file,
    write_atomically,
)
from ansible_collections.okms.access.plugins.module_utils._validation import account_problems

try:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import NameOID
except ImportError:
    pass  # HAS_CRYPTOGRAPHY says so

CHECKSUM_ROLES = ("ca", "cli", "ca_rsa")


def file_view(path, checksum):
    """Mode, owner and group of the file (following links, as a reader would); None when absent."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    view = dict(mode="%04o" % (info.st_mode & 0o7777), uid=info.st_uid, gid=info.st_gid, isdir=os.path.isdir(path),
                owner=_name(info.st_uid, "pwd"), group=_name(info.st_gid, "grp"), checksum=None)
    if checksum and not view["isdir"]:
        with open(path, "rb") as handle:
            view["checksum"] = hashlib.sha1(handle.read()).hexdigest()
    return view


def _name(number, kind):
    try:
        if kind == "pwd":
            import pwd
            return pwd.getpwuid(number).pw_name
        import grp
        return grp.getgrgid(number).gr_name
    except KeyError:
        return str(number)


def verify(url, paths, timeout):
    """The access check of module_utils/_access.py with the host's files."""
    return check_access(url, paths["cert"], paths["key"], paths["ca"], timeout)


class HostFiles:
    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.paths = module.params["paths"]
        self.result = dict(changed=False, verify=None)

    def file_args(self, path, mode):
        return self.module.load_file_common_arguments(
            dict(owner=self.params["owner"] or None, group=self.params["group"] or None, mode=mode), path=path)

    def can_verify(self):
        return self.params["verify_url"] and all(os.path.exists(self.paths[role]) for role in ("key", "cert", "ca"))

    def read(self):
        self.result["files"] = dict((role, file_view(path, role in CHECKSUM_ROLES)) for role, path in self.paths.items())
        public_der, problem = read_private_key_public_der(self.paths["key"]) if self.result["files"].get("key") else (None, None)
        self.result.update(key_public_sha256=public_key_sha256(public_der) if public_der else None, key_problem=problem,
                           credential_id="", certificate_public_sha256=None, certificate_problem=None, certificate_fingerprint=None)
        if self.result["files"].get("cert"):
            certificate = read_certificate_file(self.paths["cert"])
            if certificate is None:
                self.result["certificate_problem"] = "%s is not a readable PEM certificate" % self.paths["cert"]
            else:
                self.result["certificate_public_sha256"] = public_key_sha256(public_key_der(certificate))
                self.result["certificate_fingerprint"] = fingerprint_sha256(certificate)
                self.result["credential_id"] = credential_id_of(certificate) or ""
                if not self.result["credential_id"]:
                    self.result["certificate_problem"] = "%s is not an OKMS certificate: its serial number is not a credential id" % self.paths["cert"]
        self.read_staged()
        if self.can_verify():
            self.result["verify"] = verify(self.params["verify_url"], self.paths, self.params["verify_timeout"])

    def check(self):
        """The owner and group, which only the host can tell exist (the role checks them before any API call)."""
        self.result["problems"] = dict(account_problems(self.params["owner"], self.params["group"], "this host"))

    def write_metrics(self):
        """The node_exporter text file, from the certificate in place and the access check of this run (never in check mode)."""
        spec = self.params["metrics"]
        if not spec or self.module.check_mode:
            return
        certificate = read_certificate_file(self.paths["cert"]) if os.path.exists(self.paths["cert"]) else None
        view, renewal_at = None, None
        if certificate is not None:
            not_before, not_after = validity_timestamps(certificate)
            view = dict(credential_id=credential_id_of(certificate) or "", not_before=not_before, not_after=not_after)
            window = renew_window_days((not_after - not_before) / 86400.0, spec.get("renew_before_days"), spec.get("renew_fraction"))
            renewal_at = not_after - window * 86400.0 if window else None
        try:
            previous = (read_bytes(spec["path"]) or b"").decode("utf-8", "replace")
        except OSError:
            previous = ""  # unreadable: the next success starts it again
        text = metrics.host_textfile(dict(name=spec.get("name") or "", okms_id=spec.get("okms_id") or ""), view, self.result["verify"],
                                     time.time(), previous, renewal_at)
        write_atomically(self.module, text.encode("utf-8"), self.module.load_file_common_arguments(dict(mode=PUBLIC_MODE), path=spec["path"]))

    def read_staged(self):
        """What a replacement left staged beside the pair: the public key of <key>.new, the certificate at <cert>.new."""
        files = self.result["files"]
        public_der, problem = read_private_key_public_der(self.paths["key_new"]) if files.get("key_new") else (None, None)
        self.result["staged_key_public_sha256"] = public_key_sha256(public_der) if public_der else None
        self.result["staged_key_problem"] = problem
        self.result["staged_certificate"] = None
        certificate = read_certificate_file(self.paths["cert_new"]) if files.get("cert_new") else None
        if certificate is not None:
            self.result["staged_certificate"] = dict(public_sha256=public_key_sha256(public_key_der(certificate)),
                                                     fingerprint=fingerprint_sha256(certificate),
                                                     credential_id=credential_id_of(certificate) or "")
        elif files.get("cert_new"):
            self.result["staged_certificate"] = dict(public_sha256="", fingerprint="", credential_id="")

    def discard_staged_key(self):
        """Remove the staged key that the plan chose to discard, only if it is still the one read (another run may own a new one)."""
        expected = self.params["discard_staged_key"]
        if not expected or self.module.check_mode:
            return False
        public_der, dummy = read_private_key_public_der(self.paths["key_new"])
        if public_der is None or public_key_sha256(public_der) != expected:
            return False
        os.remove(self.paths["key_new"])
        return True

    def stage(self):
        """A new key beside the current one: API-generated (key_pem) or made here, with its CSR."""
        self.result["changed"] = True
        if self.module.check_mode:
            return
        if self.params["key_pem"]:
            # Written as the API sent it: byte for byte the copy kept on the controller, if any.
            pem = self.params["key_pem"].encode("ascii")
            key = serialization.load_pem_private_key(pem, password=None)
        else:
            if self.params["key_type"] == "RSA":
                key = rsa.generate_private_key(public_exponent=65537, key_size=self.params["rsa_key_size"])
            else:
                key = ec.generate_private_key(ec.SECP256R1())
            pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        self.make_dir()
        self.discard_staged_key()
        try:
            # Never over another staged key: it may be another run's only copy of a new credential's key.
            write_atomically(self.module, pem, self.file_args(self.paths["key_new"], self.params["key_mode"]), exclusive=True)
        except FileExistsError:
            self.module.fail_json(msg="another run staged a new key at %s since this run read the host (two runs at once?); "
                                      "nothing was overwritten: run again once the other run ended" % self.paths["key_new"],
                                  staged_key_busy=True)
        self.result["key_public_sha256"] = public_key_sha256(public_key_der(key))
        if not self.params["key_pem"]:
            subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, self.params["common_name"])])
            csr = x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256())
            self.result["csr"] = csr.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def make_dir(self):
        """Create the directory (0750) or fix its owner, group and mode."""
        path = self.paths["dir"]
        if not os.path.isdir(path):
            os.makedirs(path, 0o750)
        self.module.set_fs_attributes_if_different(self.file_args(path, DIRECTORY_MODE), False)

    def apply(self):
        """The new pair once it matches, then owners and modes, the CA, the okms-cli file, leftovers; then the access check."""
        params, paths, changed = self.params, self.paths, False
        changed = self.discard_staged_key()
        if params["fix_dir"]:
            self.make_dir()
            changed = True
        if params["key_pem"]:
            self.stage()
        if params["finish_swap"]:
            changed = self.finish_swap() or changed
        if params["certificate_pem"]:
            self.put_pair_in_place(params["certificate_pem"])
            changed = True
        for item in params["attrs"]:
            changed = self.module.set_fs_attributes_if_different(self.file_args(item["path"], item["mode"]), False) or changed
        for role, content in (("ca", params["ca_pem"]), ("cli", params["cli_content"]), ("ca_rsa", params["ca_rsa_pem"])):
            if content is not None:
                changed = ensure_file(self.module, content.encode("utf-8"), self.file_args(paths[role], PUBLIC_MODE)) or changed
        for path in params["remove"]:
            changed = remove_file(self.module, path) or changed
        self.result["changed"] = changed
        if self.can_verify():
            self.result["verify"] = verify(params["verify_url"], paths, params["verify_timeout"])

    def put_pair_in_place(self, certificate_pem):
        """The staged key and the new certificate replace the current pair, once the key is the certificate's."""
        paths = self.paths
        self.check_key_in_place()
        certificate = load_certificate(certificate_pem)
        staged_public, problem = read_private_key_public_der(paths["key_new"])
        if certificate is None or problem or public_key_der(certificate) != staged_public:
            self.module.fail_json(msg="the new private key %s does not match the new certificate (%s); the current key and certificate "
                                      "are left in place" % (paths["key_new"], problem or "another public key"))
        write_atomically(self.module, certificate_pem.encode("ascii"), self.file_args(paths["cert_new"], PUBLIC_MODE))
        os.replace(paths["key_new"], paths["key"])
        os.replace(paths["cert_new"], paths["cert"])

    def check_key_in_place(self):
        """The key in place is still the one the plan saw: another run (another controller) may have put its own there
        since, and that key may be the only copy of its credential's. ``expected_key`` empty: no key was there."""
        expected = self.params["expected_key"]
        if expected is None:
            return
        public_der, dummy = read_private_key_public_der(self.paths["key"])
        current = public_key_sha256(public_der) if public_der else ""
        if current != expected:
            self.module.fail_json(msg="the key in place at %s changed since this run read the host (another run at the same time?); it is "
                                      "left in place, with the new key staged at %s for the next run" % (self.paths["key"], self.paths["key_new"]),
                                  key_in_place_changed=True)

    def finish_swap(self):
        """What a crash between the two renames left: the staged certificate goes in place when it is the key's."""
        certificate = read_certificate_file(self.paths["cert_new"])
        key_public, dummy = read_private_key_public_der(self.paths["key"])
        if certificate is None or key_public is None or public_key_der(certificate) != key_public:
            return False
        os.replace(self.paths["cert_new"], self.paths["cert"])
        return True

    def remove(self):
        changed = False
        for path in self.params["remove"]:
            changed = remove_file(self.module, path) or changed
        directory = self.paths["dir"]
        if self.params["remove_dir"] and os.path.isdir(directory) and not os.listdir(directory):
            if not self.module.check_mode:
                os.rmdir(directory)
            changed = True
        self.result["changed"] = changed


def main():
    module = AnsibleModule(
        argument_spec=dict(
            action=dict(type="str", required=True, choices=["read", "stage", "apply", "remove", "check"]),
            paths=dict(type="dict", required=True),
            owner=dict(type="str", default=""),
            group=dict(type="str", default=""),
            key_mode=dict(type="str", default=SECRET_MODE, no_log=False),
            verify_url=dict(type="str"),
            verify_timeout=dict(type="int", default=10),
            key_type=dict(type="str", default="ECDSA", choices=["ECDSA", "RSA"]),
            rsa_key_size=dict(type="int", default=2048),
            common_name=dict(type="str"),
            key_pem=dict(type="str", no_log=True),
            certificate_pem=dict(type="str"),
            attrs=dict(type="list", elements="dict", default=[]),
            ca_pem=dict(type="str"),
            ca_rsa_pem=dict(type="str"),
            cli_content=dict(type="str"),
            fix_dir=dict(type="bool", default=False),
            remove=dict(type="list", elements="path", default=[]),
            remove_dir=dict(type="bool", default=False),
            metrics=dict(type="dict"),
            discard_staged_key=dict(type="str", default="", no_log=False),
            finish_swap=dict(type="bool", default=False),
            expected_key=dict(type="str", no_log=False),
        ),
        supports_check_mode=True,
    )
    if not HAS_CRYPTOGRAPHY:
        module.fail_json(msg=missing_required_lib("cryptography"), exception=CRYPTOGRAPHY_IMPORT_ERROR)
    host = HostFiles(module)
    try:
        getattr(host, module.params["action"])()
        if module.params["action"] in ("read", "apply"):
            host.write_metrics()
    except OSError as exc:
        module.fail_json(msg="File operation failed: %s" % exc, exception=traceback.format_exc())
    module.exit_json(**host.result)


if __name__ == "__main__":
    main()

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""okms_certificate and its backend (module_utils/_okms_certificate.py), run in-process against the emulator and real files.

The fault matrix of the module (tests/integration/targets/okms_certificate_faults) runs the same paths through Ansible;
these tests put the backend inside the unit tests' coverage gate.
"""

from __future__ import annotations

import datetime
import json
import os
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography import x509
from cryptography.x509.oid import NameOID

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.okms.access.plugins.module_utils import _okms_certificate as backend
from ansible_collections.okms.access.plugins.module_utils._client import client_from_params
from ansible_collections.okms.access.plugins.module_utils._credential import (
    CredentialApi,
    load_certificate,
    public_key_der,
    read_certificate_file,
    read_private_key_public_der,
)
from ansible_collections.okms.access.plugins.module_utils._lock import hold_until_exit, name_lock_directory, name_lock_path
from ansible_collections.okms.access.plugins.modules import okms_certificate
from ansible_collections.okms.access.tests.unit.plugins.module_args import run_module

COLLECTION = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
sys.path.insert(0, os.path.join(COLLECTION, "tests", "utils"))
from okms_testlib.emulator import AdminClient, Emulator  # noqa: E402  pylint: disable=wrong-import-position

POST = "POST /v2/okms/resource/{okmsId}/credential"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    process = Emulator(tmp_path_factory.mktemp("emulator"))
    info = process.start(timeout=30)
    admin(info, "POST", "/config", {"ready_delay": 0.1})
    yield info
    process.stop()


@pytest.fixture(autouse=True)
def private_runtime(tmp_path_factory, monkeypatch):
    runtime = tmp_path_factory.mktemp("runtime")
    runtime.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    # The lost-create margin is the server's, not the test's: no need to wait it out against the emulator.
    monkeypatch.setattr(backend.lifecycle, "LATE_COMMIT_MARGIN", 0.5)


def admin(info, method, path, body=None):
    return AdminClient(info).call(method, path, body)


def connection(info):
    return dict(endpoint=info["api_url"], application_key=info["application_key"], application_secret=info["application_secret"],
                consumer_key=info["consumer_key"], ca_path=info["ca_file"])


def api(info):
    return CredentialApi(client_from_params(connection(info)), info["okms_id"])


def live(info, name):
    return [item for item in api(info).list_named(name) if item.get("status") != "DELETING"]


class Task:
    """One okms_certificate task: its options, its files in a temporary directory."""

    def __init__(self, info, tmp_path, name, **options):
        self.info = info
        self.key = str(tmp_path / "domain.key")
        self.cert = str(tmp_path / "client.cert")
        self.args = dict(connection(info), okms_id=info["okms_id"], name=name, identity_urns=["urn:v1:eu:identity:account:" + info["nichandle"]],
                         private_key_path=self.key, certificate_path=self.cert, wait_timeout=10)
        self.args.update(options)

    def run(self, check_mode=False, **options):
        return run_module(okms_certificate.main, dict(self.args, **options), check_mode)

    def pair_matches(self):
        certificate = read_certificate_file(self.cert)
        return certificate is not None and public_key_der(certificate) == read_private_key_public_der(self.key)[0]


WARNINGS = []


@pytest.fixture(autouse=True)
def seen_warnings(monkeypatch):
    """The module's warnings as it gives them: in a process where controller code is loaded, ansible-core 2.19 sends them
    to the display instead of the result."""
    del WARNINGS[:]
    real_warn = AnsibleModule.warn

    def warn(module, warning):
        WARNINGS.append(warning)
        real_warn(module, warning)
    monkeypatch.setattr(AnsibleModule, "warn", warn)


def warned(dummy_result, text):
    return any(text in warning for warning in WARNINGS)


def expire(info, credential_id):
    admin(info, "POST", "/credentials/" + credential_id, {"expiredAt": "2000-01-01T00:00:00+00:00"})


def test_four_steps_then_absent(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-four", description="unit")
    predicted = task.run(check_mode=True)
    assert predicted["changed"] and not os.path.exists(task.key)
    assert predicted["diff"]["after"]["credential"]["id"] == backend.NOT_KNOWN_YET
    created = task.run()
    assert created["changed"] and task.pair_matches() and oct(os.stat(task.key).st_mode & 0o777) == "0o600"
    assert "PRIVATE KEY" not in json.dumps(created)
    assert not task.run(check_mode=True)["changed"]
    again = task.run()
    assert not again["changed"] and again["credential"]["id"] == created["credential"]["id"]
    assert task.run(state="absent", check_mode=True)["deleted"] == [created["credential"]["id"]]
    gone = task.run(state="absent", remove_files=True)
    assert gone["deleted"] == [created["credential"]["id"]] and sorted(gone["removed_files"]) == sorted([task.key, task.cert])
    assert not task.run(state="absent")["changed"]


def test_drift_fails_then_replaces_with_on_drift(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-drift")
    first = task.run()["credential"]["id"]
    failed = task.run(description="other")
    assert failed["failed"] and "regenerate=on_drift" in failed["msg"] and failed["differences"][0]["reason"] == "description"
    kept = task.run(description="other", regenerate="never")
    assert not kept["changed"] and warned(kept, "is kept (regenerate=never)")
    replaced = task.run(description="other", regenerate="on_drift")
    assert replaced["replaced"]["id"] == first and replaced["replaced"]["deleted"] and task.pair_matches()
    assert [item["id"] for item in live(emulator, "m-drift")] == [replaced["credential"]["id"]]


def test_renewal_and_always(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-renew", validity=10)
    first = task.run()["credential"]["id"]
    renewed = task.run(renew_before_days=30)
    assert renewed["replaced"]["id"] == first and renewed["replaced"]["reasons"][0]["reason"] == "renew_before_days"
    always = task.run(regenerate="always")
    assert always["replaced"]["id"] == renewed["credential"]["id"] and len(live(emulator, "m-renew")) == 1


def test_a_lost_key_is_replaced(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-lost", regenerate="on_drift")
    first = task.run()["credential"]["id"]
    os.remove(task.key)
    replaced = task.run()
    assert replaced["replaced"]["id"] == first and task.pair_matches()


def test_a_replacement_that_times_out_is_adopted_by_the_next_run(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-adopt", regenerate="on_drift")
    first = task.run()["credential"]["id"]
    expire(emulator, first)
    admin(emulator, "POST", "/config", {"ready_delay": 3})
    try:
        timed_out = task.run(wait_timeout=1)
    finally:
        admin(emulator, "POST", "/config", {"ready_delay": 0.1})
    assert timed_out["failed"] and "staged at" in timed_out["msg"] and os.path.exists(task.key + ".new")
    adopted = task.run()
    assert adopted["adopted"] == adopted["credential"]["id"] == timed_out["timed_out_credential_id"]
    assert adopted["replaced"]["id"] == first and adopted["replaced"]["deleted"] and task.pair_matches()
    assert not os.path.exists(task.key + ".new") and len(live(emulator, "m-adopt")) == 1


def test_staged_files_without_a_credential_are_discarded_and_a_half_swap_finished(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-staged")
    task.run()
    stray = ec.generate_private_key(ec.SECP256R1())
    with open(task.key + ".new", "wb") as handle:
        handle.write(stray.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    discarded = task.run()
    assert not os.path.exists(task.key + ".new"), discarded
    assert warned(discarded, "no credential has a certificate")
    # What a crash between the two renames leaves: the certificate in place staged, an old one in its place.
    os.rename(task.cert, task.cert + ".new")
    with open(task.cert, "wb") as handle:
        handle.write(self_signed(stray))
    finished = task.run()
    assert task.cert in finished["written_files"] and task.pair_matches() and not os.path.exists(task.cert + ".new")
    # A staged certificate of another key goes.
    with open(task.cert + ".new", "wb") as handle:
        handle.write(self_signed(stray))
    task.run()
    assert not os.path.exists(task.cert + ".new") and task.pair_matches()
    with open(task.key + ".new", "w", encoding="ascii") as handle:
        handle.write("not a key")
    unreadable = task.run()
    assert unreadable["failed"] and unreadable["msg"].startswith("A staged private key is in the way")


def self_signed(key):
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "stray")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(7)
                   .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1)).sign(key, hashes.SHA256()))
    return certificate.public_bytes(serialization.Encoding.PEM)


def test_a_lost_create_answer_deletes_the_keyless_credential_and_creates_again(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-window")
    admin(emulator, "POST", "/faults", {"route": POST, "drop_after_commit": True, "count": 1})
    try:
        result = task.run()
    finally:
        admin(emulator, "DELETE", "/faults")
    recovered = result["recovered"]
    assert len(recovered["outcome_unknown"]) == 1 and len(recovered["deleted_orphans"]) == 1 and recovered["adopted"] is None
    assert [item["id"] for item in live(emulator, "m-window")] == [result["credential"]["id"]] and task.pair_matches()


def test_a_lost_create_answer_with_a_csr_is_adopted(emulator, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    key_path = str(tmp_path / "csr.key")
    with open(key_path, "wb") as handle:
        handle.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    os.chmod(key_path, 0o644)
    csr = x509.CertificateSigningRequestBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "m-csr")]))
    csr_pem = csr.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM).decode("ascii")
    task = Task(emulator, tmp_path, "m-csr", csr=csr_pem, private_key_path=key_path)
    stranger = api(emulator).create({"name": "m-csr", "identityURNs": task.args["identity_urns"]})
    admin(emulator, "POST", "/faults", {"route": POST, "drop_after_commit": True, "count": 1})
    try:
        result = task.run(find_by_name=False)
    finally:
        admin(emulator, "DELETE", "/faults")
    assert result["recovered"]["adopted"] == result["credential"]["id"] and result["possible_orphans"] == [stranger["id"]]
    assert oct(os.stat(key_path).st_mode & 0o777) == "0o600"
    task.key = key_path
    assert task.pair_matches()


def test_duplicates_and_ids(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-dupes")
    one = api(emulator).create({"name": "m-dupes", "identityURNs": task.args["identity_urns"]})
    two = api(emulator).create({"name": "m-dupes", "identityURNs": task.args["identity_urns"]})
    failed = task.run()
    assert failed["failed"] and "2 credentials are called 'm-dupes'" in failed["msg"] and len(failed["duplicates"]) == 2
    other = task.run(credential_id=one["id"], name="m-other")
    assert other["failed"] and "is called 'm-dupes', not 'm-other'" in other["msg"]
    missing = task.run(credential_id="00000000-0000-0000-0000-000000000000")
    assert missing["failed"] and "no credential 00000000" in missing["msg"]
    assert task.run(state="absent", credential_id=two["id"])["deleted"] == [two["id"]]
    assert task.run(state="absent")["deleted"] == [one["id"]]


def test_a_key_without_a_path_is_returned_with_a_warning(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-result", private_key_path=None, certificate_path=None)
    result = task.run()
    assert "PRIVATE KEY" in result["private_key"] and warned(result, "no_log")
    task.run(state="absent")


def test_an_error_credential_is_deleted_and_the_pair_kept(emulator, tmp_path, monkeypatch):
    task = Task(emulator, tmp_path, "m-error")
    first = task.run()["credential"]["id"]
    before = read_certificate_file(task.cert).fingerprint(hashes.SHA256())
    real_wait = backend.CredentialApi.wait_ready

    def wait_into_error(self, credential_id, timeout):
        admin(emulator, "POST", "/credentials/" + credential_id, {"status": "ERROR"})
        return real_wait(self, credential_id, timeout)
    monkeypatch.setattr(backend.CredentialApi, "wait_ready", wait_into_error)
    failed = task.run(regenerate="always")
    assert failed["failed"] and "status ERROR" in failed["msg"] and "it was deleted" in failed["msg"]
    assert read_certificate_file(task.cert).fingerprint(hashes.SHA256()) == before and not os.path.exists(task.key + ".new")
    assert [item["id"] for item in live(emulator, "m-error")] == [first]


def test_a_key_that_cannot_be_written_takes_its_credential_away(emulator, tmp_path):
    (tmp_path / "file").write_text("a file")
    task = Task(emulator, tmp_path, "m-unwritable", private_key_path=str(tmp_path / "file" / "domain.key"), certificate_path=None)
    result = task.run()
    assert result["failed"]
    assert live(emulator, "m-unwritable") == []


def test_another_run_holding_the_name_makes_it_wait_then_fail(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-locked", wait_timeout=1)
    directory = name_lock_directory()
    os.makedirs(directory, 0o700, exist_ok=True)
    other = subprocess.Popen(["sleep", "60"])
    try:
        hold_until_exit([name_lock_path(directory, emulator["okms_id"], "m-locked")], 1, other.pid, "m-locked")
        result = task.run()
    finally:
        other.kill()
        other.wait()
    assert result["failed"] and "Cannot take the lock" in result["msg"] and live(emulator, "m-locked") == []


def test_a_failed_delete_of_the_replaced_credential_says_what_to_do(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-delete")
    first = task.run()["credential"]["id"]
    admin(emulator, "POST", "/faults", {"route": "DELETE /v2/okms/resource/{okmsId}/credential/{credentialId}", "status": 500, "count": 5})
    try:
        result = task.run(regenerate="always", retry_timeout=0)
    finally:
        admin(emulator, "DELETE", "/faults")
    assert result["failed"] and "is in place" in result["msg"] and "credential_id=%s" % first in result["msg"] and task.pair_matches()
    task.run(state="absent")


def test_bad_input_fails_before_any_api_call(emulator, tmp_path):
    admin(emulator, "POST", "/requests/reset", {})
    result = Task(emulator, tmp_path, "m-bad", validity=400).run()
    assert result["failed"] and "validity" in result["msg"]
    assert admin(emulator, "GET", "/requests")["by_route"] == {}


def test_wait_false_returns_a_creating_credential(emulator, tmp_path):
    task = Task(emulator, tmp_path, "m-nowait", wait=False, certificate_path=None)
    result = task.run()
    assert result["credential"]["status"] in ("CREATING", "READY")
    assert load_certificate(None) is None
    task.run(state="absent")

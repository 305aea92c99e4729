#!/usr/bin/env python
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Census of one fault matrix row, taken through the API and the disk, independently of the collection's code.

census.py CONFIG TABLE ROW OUTCOME PREFIX DIR [FOREIGN_ID ...]: lists the emulator's first domain (application key
signature), reads every file under DIR, appends "| row | outcome | five counts |" to TABLE and exits 1 unless all
five counts are 0:
  keyless     live credentials of PREFIX whose private key is in no file under DIR (or that have no certificate);
  duplicates  names of PREFIX with more than one live credential (FOREIGN_IDs, planted as another run's, aside);
  foreign     FOREIGN_IDs that are no longer live (another run's credentials deleted);
  mismatched  X.key / X.cert pairs under DIR whose public keys differ;
  exposed     private key files under DIR readable by the group or others, or owned by another user.

census.py CONFIG force-error PREFIX_NAME OLD_ID: waits until a credential called PREFIX_NAME other than OLD_ID is
CREATING, then forces it to ERROR through the admin interface (what a failed issuance looks like).
"""

import collections
import hashlib
import json
import os
import sys
import time

import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization


def load(config_path):
    with open(config_path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["okms_emulator"]


def credentials(emulator):
    """Every credential of the first domain (all pages), through a signed API call."""
    session = requests.Session()
    # verify on each call: a REQUESTS_CA_BUNDLE in the environment would override Session.verify
    verify = emulator["ca_file"]
    base = emulator["api_url"][:-len("/1.0")]
    url = "%s/v2/okms/resource/%s/credential" % (base, emulator["okms_id"])
    found, cursor = [], None
    while True:
        server_time = session.get(emulator["api_url"] + "/auth/time", verify=verify, timeout=10).json()
        text = "+".join([emulator["application_secret"], emulator["consumer_key"], "GET", url, "", str(server_time)])
        headers = {"X-Ovh-Application": emulator["application_key"], "X-Ovh-Consumer": emulator["consumer_key"],
                   "X-Ovh-Timestamp": str(server_time), "X-Ovh-Signature": "$1$" + hashlib.sha1(text.encode()).hexdigest()}
        if cursor:
            headers["X-Pagination-Cursor"] = cursor
        response = session.get(url, headers=headers, verify=verify, timeout=10)
        response.raise_for_status()
        found.extend(response.json())
        cursor = response.headers.get("X-Pagination-Cursor-Next")
        if not cursor:
            return found


def spki(key_owner):
    return key_owner.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def disk(directory):
    """({path: public key} of private key files, {path: public key} of certificate files) under directory."""
    keys, certificates = {}, {}
    for root, dummy, names in os.walk(directory):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                data = handle.read()
            if not data.startswith(b"-----BEGIN "):
                continue  # lock files, results
            if b"PRIVATE KEY-----" in data:
                keys[path] = spki(serialization.load_pem_private_key(data, password=None))
            elif b"BEGIN CERTIFICATE-----" in data:
                certificates[path] = spki(x509.load_pem_x509_certificate(data))
    return keys, certificates


def census(emulator, prefix, directory, foreign):
    live = [item for item in credentials(emulator) if item["name"].startswith(prefix) and item["status"] != "DELETING"]
    keys, certificates = disk(directory)
    held = set(keys.values())
    keyless = sum(1 for item in live if not item.get("certificatePEM")
                  or spki(x509.load_pem_x509_certificate(item["certificatePEM"].encode())) not in held)
    per_name = collections.Counter(item["name"] for item in live if item["id"] not in foreign)
    mismatched = sum(1 for path, public in certificates.items()
                     if path.endswith(".cert") and path[:-5] + ".key" in keys and keys[path[:-5] + ".key"] != public)
    exposed = sum(1 for path in keys if os.stat(path).st_mode & 0o077 or os.stat(path).st_uid != os.getuid())
    live_ids = {item["id"] for item in live}
    return dict(keyless=keyless, duplicates=sum(1 for count in per_name.values() if count > 1),
                foreign=sum(1 for credential_id in foreign if credential_id not in live_ids), mismatched=mismatched, exposed=exposed)


def force_error(emulator, name, old_id):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for item in credentials(emulator):
            if item["name"] == name and item["id"] != old_id and item["status"] == "CREATING":
                response = requests.post("%s/credentials/%s" % (emulator["admin_url"], item["id"]), json={"status": "ERROR"},
                                         verify=emulator["ca_file"], timeout=10)
                response.raise_for_status()
                print(json.dumps({"forced_error": item["id"]}))
                return 0
        time.sleep(0.1)  # polling the API for the credential to appear, not waiting for a race to settle
    print("no new CREATING credential called %s appeared" % name)
    return 1


def main(argv):
    emulator = load(argv[1])
    if argv[2] == "force-error":
        return force_error(emulator, argv[3], argv[4])
    table, row, outcome, prefix, directory = argv[2:7]
    counts = census(emulator, prefix, directory, set(argv[7:]))
    with open(table, "a", encoding="utf-8") as handle:
        columns = [str(counts[key]) for key in ("keyless", "duplicates", "foreign", "mismatched", "exposed")]
        handle.write("| %s | %s | %s |\n" % (row, outcome, " | ".join(columns)))
    print(json.dumps(dict(row=row, **counts)))
    return 1 if any(counts.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

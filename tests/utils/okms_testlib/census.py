# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Census of what a fault left, through the API and the disk, independently of the collection's code.

- credentials(), delete_credential(): the emulator's first domain through signed API calls (application key);
- disk(): the private keys and certificates found in files under a directory;
- census(): the five counts of a row of okms_certificate's fault matrix;
- role_census(): the six counts of a row of the role's fault targets (the five, with leftovers, and leaks);
- leaks_in_files(): files that hold key material or an API secret, AnsiballZ payloads unpacked;
- main(): the command of okms_certificate_faults (its census.py runs it).

Counts (every one must be 0 after a repair):
  lost        live credentials of the row whose private key is in no file (or that have no certificate);
  duplicates  names of the row with more than one live credential (FOREIGN ids, another run's, aside);
  foreign     FOREIGN ids that are no longer live (a credential that is not the run's own was deleted);
  mismatched  key/certificate pairs whose public keys differ;
  unsafe      private key files readable by the group or others or owned by another user, and leftovers
              (``*.new``, ``*.tmp``) in the pairs' directories;
  leaks       output texts and files (Ansible's temporary directories) that hold a private key or an API secret.
"""

from __future__ import annotations

import base64
import collections
import hashlib
import io
import json
import os
import re
import time
import zipfile

import requests
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from okms_testlib.emulator import AdminClient
from okms_testlib.secret_scan import SECRET_FIELDS

LIVE_EXCLUDED = ("DELETING",)
LEFTOVER_SUFFIXES = (".new", ".tmp")
# AnsiballZ wrappers carry the module and its arguments as a base64 zip.
_ZIPDATA = re.compile(rb'ZIPDATA\s*=\s*[ru]?"""(?P<data>[A-Za-z0-9+/=\s]+)"""')


def load(config_path):
    with open(config_path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)["okms_emulator"]


def _signed(emulator, method, url, cursor=None):
    """Headers of an application-key signed call (empty body), the server's clock from /auth/time."""
    server_time = requests.get(emulator["api_url"] + "/auth/time", verify=emulator["ca_file"], timeout=10).json()
    text = "+".join([emulator["application_secret"], emulator["consumer_key"], method, url, "", str(server_time)])
    headers = {"X-Ovh-Application": emulator["application_key"], "X-Ovh-Consumer": emulator["consumer_key"],
               "X-Ovh-Timestamp": str(server_time), "X-Ovh-Signature": "$1$" + hashlib.sha1(text.encode()).hexdigest()}
    if cursor:
        headers["X-Pagination-Cursor"] = cursor
    return headers


def _credentials_url(emulator):
    return "%s/v2/okms/resource/%s/credential" % (emulator["api_url"][:-len("/1.0")], emulator["okms_id"])


def credentials(emulator):
    """Every credential of the first domain (all pages), through a signed API call."""
    session = requests.Session()
    url = _credentials_url(emulator)
    found, cursor = [], None
    while True:
        # verify on each call: a REQUESTS_CA_BUNDLE in the environment would override Session.verify
        response = session.get(url, headers=_signed(emulator, "GET", url, cursor), verify=emulator["ca_file"], timeout=10)
        response.raise_for_status()
        found.extend(response.json())
        cursor = response.headers.get("X-Pagination-Cursor-Next")
        if not cursor:
            return found


def live(emulator, prefix):
    """The credentials whose name starts with PREFIX and that are not being deleted."""
    return [item for item in credentials(emulator) if item["name"].startswith(prefix) and item["status"] not in LIVE_EXCLUDED]


def delete_credential(emulator, credential):
    """Delete one credential (a clean slate before a row); a CREATING one is made READY first."""
    credential_id = credential["id"]
    if credential["status"] == "CREATING":
        admin(emulator, "/credentials/%s" % credential_id, {"status": "READY"})
    url = "%s/%s" % (_credentials_url(emulator), credential_id)
    requests.delete(url, headers=_signed(emulator, "DELETE", url), verify=emulator["ca_file"], timeout=10).raise_for_status()


def admin(emulator, path, body, method="POST"):
    """One call to the emulator's admin interface; its JSON answer."""
    return AdminClient(emulator).call(method, path, body)


def spki(key_owner):
    return key_owner.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate_spki(pem):
    return spki(x509.load_pem_x509_certificate(pem.encode() if isinstance(pem, str) else pem))


def files_under(directories):
    """(path, content) of every regular file under DIRECTORIES, recursively (links left out)."""
    for directory in directories:
        for root, dummy, names in os.walk(directory):
            for name in names:
                path = os.path.join(root, name)
                if os.path.isfile(path) and not os.path.islink(path):
                    with open(path, "rb") as handle:
                        yield path, handle.read()


def disk(directory):
    """({path: public key} of private key files, {path: public key} of certificate files) under directory."""
    keys, certificates = {}, {}
    for path, data in files_under([directory]):
        if not data.startswith(b"-----BEGIN "):
            continue  # lock files, results, logs
        if b"PRIVATE KEY-----" in data:
            keys[path] = spki(serialization.load_pem_private_key(data, password=None))
        elif b"BEGIN CERTIFICATE-----" in data:
            certificates[path] = spki(x509.load_pem_x509_certificate(data))
    return keys, certificates


def _lost_and_duplicates(items, keys, foreign):
    held = set(keys.values())
    lost = sum(1 for item in items if not item.get("certificatePEM") or certificate_spki(item["certificatePEM"]) not in held)
    per_name = collections.Counter(item["name"] for item in items if item["id"] not in foreign)
    ids = {item["id"] for item in items}
    return lost, sum(1 for count in per_name.values() if count > 1), sum(1 for credential_id in foreign if credential_id not in ids)


def _exposed(paths):
    return sum(1 for path in paths if os.stat(path).st_mode & 0o077 or os.stat(path).st_uid != os.getuid())


def census(emulator, prefix, directory, foreign):
    """The five counts of a fault matrix row: X.key / X.cert pairs under DIRECTORY."""
    items = live(emulator, prefix)
    keys, certificates = disk(directory)
    keyless, duplicates, gone = _lost_and_duplicates(items, keys, foreign)
    mismatched = sum(1 for path, public in certificates.items()
                     if path.endswith(".cert") and path[:-5] + ".key" in keys and keys[path[:-5] + ".key"] != public)
    return dict(keyless=keyless, duplicates=duplicates, foreign=gone, mismatched=mismatched, exposed=_exposed(keys))


def key_markers(keys_paths):
    """Pieces of each private key's PEM body (its second base64 line) that show it, whatever the quoting around it."""
    markers = set()
    for path in keys_paths:
        with open(path, "rb") as handle:
            lines = handle.read().split(b"\n")
        body = [line for line in lines[1:] if line and not line.startswith(b"-----")]
        markers.update(line[:40] for line in body[1:2] or body[:1])
    return markers


def secret_values(emulator):
    return {emulator[name].encode() for name in SECRET_FIELDS if emulator.get(name)}


def _holds_secret(data, needles):
    if b"PRIVATE KEY" in data or any(needle in data for needle in needles):
        return True
    # JSON escapes a PEM's line breaks: a key in module arguments still shows its base64 lines.
    return any(needle in data.replace(b"\\n", b"\n") for needle in needles)


def _payloads(data):
    """DATA, and every member of the AnsiballZ zip it carries (module arguments included)."""
    yield data
    match = _ZIPDATA.search(data)
    if match:
        try:
            archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(b"".join(match.group("data").split()))))
        except (ValueError, zipfile.BadZipFile):
            return
        for member in archive.namelist():
            yield archive.read(member)


def leaks_in_files(directories, needles):
    """Files under DIRECTORIES (recursively) that hold a needle or a PEM private key."""
    return [path for path, data in files_under(directories) if any(_holds_secret(payload, needles) for payload in _payloads(data))]


def role_census(emulator, prefix, directory, pairs, foreign=(), texts=(), temporary_dirs=()):
    """The six counts of a row of the role's fault targets, and what they point at.

    PREFIX: the row's credential names; DIRECTORY: every file that may hold the row's keys (hosts, controller copies,
    another run's keys); PAIRS: (key path, certificate path) of each host; FOREIGN: ids that are not the run's own;
    TEXTS: {label: output of a run}; TEMPORARY_DIRS: Ansible's temporary directories of the runs (controller and hosts).
    """
    items = live(emulator, prefix)
    keys, certificates = disk(directory)
    lost, duplicates, gone = _lost_and_duplicates(items, keys, set(foreign))
    mismatched = [key for key, cert in pairs
                  if os.path.exists(key) != os.path.exists(cert) or (key in keys and cert in certificates and keys[key] != certificates[cert])]
    leftovers = sorted({os.path.join(os.path.dirname(key), name) for key, dummy in pairs if os.path.isdir(os.path.dirname(key))
                        for name in os.listdir(os.path.dirname(key)) if name.endswith(LEFTOVER_SUFFIXES)})
    needles = key_markers(keys) | secret_values(emulator)
    leaked = ["output of %s" % label for label, text in texts.items() if _holds_secret(text.encode(), needles)]
    leaked += leaks_in_files(temporary_dirs, needles)
    counts = dict(lost=lost, duplicates=duplicates, foreign=gone, mismatched=len(mismatched),
                  unsafe=_exposed(keys) + len(leftovers), leaks=len(leaked))
    details = dict(credentials=[(item["id"], item["name"], item["status"]) for item in items], mismatched=mismatched,
                   leftovers=leftovers, leaks=leaked)
    return counts, details


def force_error(emulator, name, old_id):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for item in credentials(emulator):
            if item["name"] == name and item["id"] != old_id and item["status"] == "CREATING":
                print(json.dumps({"forced_error": admin(emulator, "/credentials/%s" % item["id"], {"status": "ERROR"})["id"]}))
                return 0
        time.sleep(0.1)  # polling the API for the credential to appear, not waiting for a race to settle
    print("no new CREATING credential called %s appeared" % name)
    return 1


def main(argv):
    """census.py CONFIG TABLE ROW OUTCOME PREFIX DIR [FOREIGN_ID ...], or census.py CONFIG force-error NAME OLD_ID.

    The first lists the emulator's first domain, reads every file under DIR, appends "| row | outcome | five counts |"
    to TABLE and exits 1 unless all five counts (keyless, duplicates, foreign, mismatched, exposed) are 0. The second
    waits until a credential called NAME other than OLD_ID is CREATING, then forces it to ERROR (a failed issuance).
    """
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

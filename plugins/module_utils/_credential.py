# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# This module_utils is PRIVATE: it is not part of the collection's public interface and may change or go away
# without notice in any release. Do not import it from outside okms.access.

"""OKMS credentials as both modules see them: API calls on one domain, certificate facts, the result dict.

A credential's certificate names its credential: its serial number is the credential UUID read as a
128-bit integer. That is what lets a certificate file on disk find its credential with one GET.
"""

from __future__ import annotations

import datetime
import re
import time
import traceback
import uuid

try:
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import hashes, serialization
except ImportError:
    HAS_CRYPTOGRAPHY = False
    CRYPTOGRAPHY_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_CRYPTOGRAPHY = True
    CRYPTOGRAPHY_IMPORT_ERROR = None

from ansible_collections.okms.access.plugins.module_utils._errors import OvhApiError

# The API's KMS domains (OVH API v2), under which their credentials and secrets are.
DOMAINS_PATH = "/v2/okms/resource"
READY = "READY"
CREATING = "CREATING"
DELETING = "DELETING"
ERROR = "ERROR"
EXPIRED = "EXPIRED"

# Polling CREATING -> READY (and DELETING -> gone): first pause, growth factor, longest pause, in seconds.
POLL_FIRST_DELAY = 0.25
POLL_FACTOR = 2.0
POLL_MAX_DELAY = 5.0

# Metadata shown in diffs: never a key, never a certificate body.
DIFF_FIELDS = ("id", "name", "description", "identity_urns", "certificate_type", "status", "expired_at",
               "fingerprint_sha256", "serial")

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$")


class CredentialWaitTimeout(Exception):
    """A credential did not reach the awaited state in time; ``credential`` is its last known state."""

    def __init__(self, credential_id, credential, what, timeout):
        status = credential.get("status") if credential else "gone"
        super().__init__("Credential %s is still %s after %s seconds of waiting for it to be %s" % (credential_id, status, timeout, what))
        self.credential_id = credential_id
        self.credential = credential


# Time

def parse_timestamp(text):
    """An aware datetime from an RFC 3339 timestamp (python 3.8's fromisoformat knows neither Z nor 1..5 digit fractions)."""
    match = _RFC3339.match(text or "")
    if not match:
        raise ValueError("%r is not an RFC 3339 timestamp such as 2026-04-04T12:26:28.856619+02:00" % (text,))
    year, month, day, hour, minute, second, fraction, zulu, sign, off_hours, off_minutes = match.groups()
    if zulu:
        tzinfo = datetime.timezone.utc
    else:
        offset = datetime.timedelta(hours=int(off_hours), minutes=int(off_minutes))
        tzinfo = datetime.timezone(-offset if sign == "-" else offset)
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        return datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second), microsecond, tzinfo=tzinfo)
    except ValueError as exc:
        raise ValueError("%r is not a valid time (%s); expected an RFC 3339 timestamp such as 2026-04-04T12:26:28+02:00" % (text, exc)) from None


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc)


def renew_window_days(lifetime_days, renew_before_days, renew_fraction=0):
    """Days before its expiry from which a credential is due: renew_before_days, or earlier once ``renew_fraction`` of its
    lifetime has passed (cert-manager's renewBefore and 2/3 of the lifetime); 0 turns either off."""
    days = float(renew_before_days or 0)
    if renew_fraction and lifetime_days:
        days = max(days, (1.0 - renew_fraction) * lifetime_days)
    return days


def days_until(timestamp, now):
    """Days (float, 2 decimals, negative once past) from ``now`` to an RFC 3339 ``timestamp``; None without one."""
    if not timestamp:
        return None
    return round((parse_timestamp(timestamp) - now).total_seconds() / 86400.0, 2)


# Certificates and keys

def load_certificate(pem):
    """The x509.Certificate of a PEM text or bytes, None when it is not one."""
    if not pem:
        return None
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        return None


def load_csr(pem):
    """(csr, problem): the parsed CSR, or None and why it cannot be used (not PEM, or a signature that does not verify)."""
    data = pem.encode("ascii", "replace") if isinstance(pem, str) else pem
    try:
        csr = x509.load_pem_x509_csr(data)
    except ValueError:
        return None, "is not a PEM certificate signing request; expected a '-----BEGIN CERTIFICATE REQUEST-----' block"
    if not csr.is_signature_valid:
        return None, "has a signature that does not verify with its own public key"
    return csr, None


def public_key_der(key_owner):
    """SubjectPublicKeyInfo DER of a certificate, CSR or private key: equal bytes = same key pair."""
    public_key = key_owner.public_key()
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def read_private_key_public_der(path):
    """(public key DER, problem) of the PEM private key at ``path``. The problem never quotes the file."""
    try:
        with open(path, "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        return None, "%s does not exist" % path
    except OSError as exc:
        return None, "%s cannot be read (%s)" % (path, exc.strerror)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        return None, "%s holds a passphrase-protected key, which cannot be compared with the certificate" % path
    except (ValueError, UnsupportedAlgorithm):
        return None, "%s does not hold a PEM private key" % path
    return public_key_der(key), None


def read_certificate_file(path):
    """The x509.Certificate in the file at ``path``; None when absent, unreadable or not a certificate."""
    try:
        with open(path, "rb") as handle:
            return load_certificate(handle.read())
    except OSError:
        return None


def serial_hex(certificate):
    """The serial number as 32 lowercase hex digits: for an OKMS certificate, the credential id without dashes."""
    return "%032x" % certificate.serial_number


def validity_timestamps(certificate):
    """(notBefore, notAfter) of a certificate as Unix times (cryptography < 42 has only the naive UTC attributes)."""
    if hasattr(certificate, "not_valid_after_utc"):
        return certificate.not_valid_before_utc.timestamp(), certificate.not_valid_after_utc.timestamp()
    utc = datetime.timezone.utc
    return certificate.not_valid_before.replace(tzinfo=utc).timestamp(), certificate.not_valid_after.replace(tzinfo=utc).timestamp()


def credential_id_of(certificate):
    """The credential UUID that an OKMS certificate's serial number encodes, None if it cannot be one."""
    serial = certificate.serial_number
    if serial < 0 or serial >= 1 << 128:
        return None
    return str(uuid.UUID(int=serial))


def fingerprint_sha256(certificate):
    """SHA-256 of the DER certificate as colon-separated uppercase hex, as `openssl x509 -fingerprint -sha256` prints it."""
    return ":".join("%02X" % byte for byte in bytearray(certificate.fingerprint(hashes.SHA256())))


def public_key_sha256(public_der):
    """Colon hex SHA-256 of a SubjectPublicKeyInfo: names a key pair in diffs without showing any key."""
    digest = hashes.Hash(hashes.SHA256())
    digest.update(public_der)
    return ":".join("%02X" % byte for byte in bytearray(digest.finalize()))


def pem_text(pem):
    """PEM text with real newlines and one final newline, as files on disk hold it."""
    return pem.replace("\\n", "\n").rstrip("\n") + "\n"


# The credential dict both modules return

def credential_result(api_credential, now, renew_before_days=0):
    """The documented ``credential`` dict of one API credential (GetResponse or CreationResponse), never a private key."""
    certificate_pem = api_credential.get("certificatePEM")
    certificate = load_certificate(certificate_pem)
    expires_in_days = days_until(api_credential.get("expiredAt"), now)
    return {
        "id": api_credential.get("id"),
        "name": api_credential.get("name"),
        "description": api_credential.get("description"),
        "identity_urns": list(api_credential.get("identityURNs") or []),
        "status": api_credential.get("status"),
        "from_csr": api_credential.get("fromCSR"),
        "certificate_type": api_credential.get("certificateType"),
        "created_at": api_credential.get("createdAt"),
        "expired_at": api_credential.get("expiredAt"),
        "certificate_pem": pem_text(certificate_pem) if certificate_pem else None,
        "serial": serial_hex(certificate) if certificate else None,
        "fingerprint_sha256": fingerprint_sha256(certificate) if certificate else None,
        "expires_in_days": expires_in_days,
        "should_renew": should_renew(api_credential.get("status"), expires_in_days, renew_before_days),
    }


def should_renew(status, expires_in_days, renew_before_days):
    """True when the credential is EXPIRED or, with renew_before_days > 0, expires within that many days."""
    if status == EXPIRED:
        return True
    if not renew_before_days or expires_in_days is None:
        return False
    return expires_in_days <= renew_before_days


def diff_view(result):
    """The metadata of a credential result that a diff may show."""
    if result is None:
        return None
    return dict((field, result.get(field)) for field in DIFF_FIELDS)


# API calls on one domain's credentials

class CredentialApi:
    """The credential calls of one KMS domain, on an OvhApiClient. OvhApiError propagates to the caller."""

    def __init__(self, client, okms_id, sleep=time.sleep, monotonic=time.monotonic, wallclock=time.time):
        self.client = client
        self.okms_id = okms_id
        self.path = "%s/%s/credential" % (DOMAINS_PATH, okms_id)
        self._sleep = sleep
        self._monotonic = monotonic
        self._wallclock = wallclock

    def server_clock_offset(self):
        """(lowest, highest) possible server clock minus local clock, in seconds, from one GET /auth/time.

        /auth/time needs no authentication, whatever the method (application key or OAuth2), and answers whole
        seconds read at some moment of the call: the bounds cover both the rounding and the call's duration.
        """
        before = self._wallclock()
        server_time = self.client.get("/auth/time")
        after = self._wallclock()
        if not isinstance(server_time, int) or isinstance(server_time, bool):
            raise OvhApiError("GET /auth/time answered %r, not the server time as an integer" % (server_time,))
        return server_time - after, server_time + 1 - before

    def get(self, credential_id):
        """The GetResponse of one credential, None when it does not exist (404)."""
        try:
            return self.client.get("%s/%s" % (self.path, credential_id))
        except OvhApiError as exc:
            if exc.status == 404:
                return None
            raise

    def list_all(self):
        return list(self.client.iter_list(self.path))

    def list_named(self, name):
        """Every credential called ``name`` (the API has no filter: this walks every page)."""
        return [credential for credential in self.client.iter_list(self.path) if credential.get("name") == name]

    def create(self, body):
        return self.client.post(self.path, body)

    def delete(self, credential_id, timeout):
        """DELETE one credential; one still CREATING (which the API may refuse to delete) is first waited for."""
        try:
            return self.client.delete("%s/%s" % (self.path, credential_id))
        except OvhApiError as exc:
            if exc.status == 404:
                return None
            if exc.status != 400 or not str(exc.error_class or "").endswith("CredentialStatusInvalid"):
                raise
        if self.wait_for(credential_id, lambda credential: credential is None or credential.get("status") != CREATING,
                         timeout, "past CREATING") is None:
            return None
        return self.client.delete("%s/%s" % (self.path, credential_id))

    def wait_ready(self, credential_id, timeout):
        """The credential once it has left CREATING (READY, or ERROR for the caller to report); None if it is gone."""
        return self.wait_for(credential_id, lambda credential: credential is None or credential.get("status") != CREATING,
                             timeout, READY)

    def wait_gone(self, credential_id, timeout):
        self.wait_for(credential_id, lambda credential: credential is None, timeout, "deleted")

    def wait_for(self, credential_id, done, timeout, what):
        """Poll GET with exponential backoff until ``done(credential or None)``; CredentialWaitTimeout after ``timeout`` s."""
        deadline = self._monotonic() + timeout
        delay = POLL_FIRST_DELAY
        while True:
            credential = self.get(credential_id)
            if done(credential):
                return credential
            remaining = deadline - self._monotonic()
            if remaining <= 0:
                raise CredentialWaitTimeout(credential_id, credential, what, timeout)
            self._sleep(min(delay, remaining))
            delay = min(delay * POLL_FACTOR, POLL_MAX_DELAY)

# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Credentials: creation, status, views and deletion.

A status is never stored: it follows from timestamps fixed when something happens (``ready_us`` at
creation, ``gone_us`` at deletion) compared with the server clock at read time. No background thread
changes anything, so what one request sees never races another.
"""

from __future__ import annotations

import secrets
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from okms_emulator.clock import MICROS_PER_DAY, parse_rfc3339, seconds_to_us, to_datetime, to_rfc3339
from okms_emulator.errors import bad_request, not_found
from okms_emulator.pki import CsrError, certificate_type_of, csr_public_key, new_private_key, private_key_pem
from okms_emulator.store import CredentialRecord
from okms_emulator.validation import VALIDITY_DEFAULT, check_creation

CREATING = "CREATING"
READY = "READY"
DELETING = "DELETING"
ERROR = "ERROR"
EXPIRED = "EXPIRED"
FORCEABLE = (ERROR, EXPIRED, CREATING, READY)
_NO_CERTIFICATE = (CREATING, ERROR)


def status_at(record: CredentialRecord, now_us: int) -> str | None:
    """Status of a credential at ``now_us``; None once a deletion has completed (the API answers 404)."""
    if record.deleting_us is not None:
        return None if now_us >= record.gone_us else DELETING
    if record.forced_status is not None:
        return record.forced_status
    if now_us < record.ready_us:
        return CREATING
    return EXPIRED if now_us >= record.expired_us else READY


def _certificate_issued(record: CredentialRecord, now_us: int) -> bool:
    # a credential deleted while CREATING never gets its certificate
    moment = now_us if record.deleting_us is None else min(now_us, record.deleting_us)
    return record.forced_status not in _NO_CERTIFICATE and record.ready_us <= moment


def _base_view(record: CredentialRecord, status: str) -> dict:
    return {
        "id": record.id,
        "name": record.name,
        "description": record.description,
        "identityURNs": list(record.identity_urns),
        "status": status,
        "fromCSR": record.from_csr,
        "certificateType": record.certificate_type,
        "createdAt": to_rfc3339(record.created_us),
        "expiredAt": to_rfc3339(record.expired_us),
    }


def get_view(record: CredentialRecord, now_us: int, status: str | None = None) -> dict:
    """GetResponse: ``certificatePEM`` is null until the certificate is issued; never a private key."""
    view = _base_view(record, status or status_at(record, now_us))
    view["certificatePEM"] = record.certificate_pem if _certificate_issued(record, now_us) else None
    return view


def creation_view(record: CredentialRecord, private_key: str | None) -> dict:
    """CreationResponse: always CREATING, no ``certificatePEM``, the private key only without CSR."""
    view = _base_view(record, CREATING)
    if private_key is not None:
        view["privateKeyPEM"] = private_key
    return view


def _missing(credential_id: str):
    return not_found("The requested object (credentialId = %s) does not exist" % credential_id)


class CredentialService:
    """Credential operations of every domain, on the store, the CCMUsersCA and the clock."""

    def __init__(self, store, users_ca, clock, settings) -> None:
        self.store = store
        self.users_ca = users_ca
        self.clock = clock
        self.settings = settings

    def _serial(self, credential_id: uuid.UUID) -> int:
        """The certificate's serial: the credential id (OVH's published examples) or, by setting, 128 random bits."""
        if self.settings["certificate_serial"] == "random":
            return secrets.randbits(127) | 1 << 127
        return credential_id.int

    def _record(self, public_key, okms_id: str, fields: dict, now_us: int, ready_us: int, serials: dict) -> CredentialRecord:
        """A new credential; a random serial goes into ``serials`` (credential id -> serial) to be stored with it."""
        credential_id = uuid.uuid4()
        serial = self._serial(credential_id)
        if serial != credential_id.int:
            serials[str(credential_id)] = serial
        expired_us = now_us + fields["validity"] * MICROS_PER_DAY
        certificate = self.users_ca.issue_credential_certificate(
            public_key, serial, okms_id, to_datetime(now_us), to_datetime(expired_us)
        )
        return CredentialRecord(
            id=str(credential_id), okms_id=okms_id, name=fields["name"], description=fields["description"],
            identity_urns=fields["identity_urns"], from_csr=fields["from_csr"], certificate_type=fields["certificate_type"],
            created_us=now_us, ready_us=ready_us, expired_us=expired_us, certificate_pem=certificate,
        )

    def create(self, okms_id: str, body) -> dict:
        """Create a credential from a Creation body; answers its CreationResponse."""
        request = check_creation(body)
        if request.csr is not None:
            try:
                public_key = csr_public_key(request.csr)
                certificate_type = certificate_type_of(public_key)
            except CsrError as exc:
                raise bad_request("", str(exc)) from None
            private_key = None
        else:
            certificate_type = request.certificate_type or "ECDSA"
            key = new_private_key(certificate_type)
            public_key, private_key = key.public_key(), private_key_pem(key)
        fields = {
            "name": request.name, "description": request.description, "identity_urns": request.identity_urns,
            "validity": request.validity, "from_csr": request.csr is not None, "certificate_type": certificate_type,
        }
        now_us = self.clock.now_us()
        serials = {}
        record = self._record(public_key, okms_id, fields, now_us, now_us + seconds_to_us(self.settings["ready_delay"]), serials)
        self.store.insert_credentials([record], serials)
        return creation_view(record, private_key)

    def _existing(self, okms_id: str, credential_id: str, now_us: int) -> CredentialRecord:
        record = self.store.get_credential(credential_id)
        if record is None or record.okms_id != okms_id or status_at(record, now_us) is None:
            raise _missing(credential_id)
        return record

    def get(self, okms_id: str, credential_id: str) -> dict:
        """GetResponse of one credential; 404 when unknown, of another domain or deleted."""
        now_us = self.clock.now_us()
        return get_view(self._existing(okms_id, credential_id, now_us), now_us)

    def list_page(self, okms_id: str, after_seq: int, size: int) -> tuple:
        """``(views, last_seq)`` of one page; ``last_seq`` is None on the last page."""
        now_us = self.clock.now_us()
        records = self.store.list_credentials(okms_id, after_seq, size + 1, now_us)
        page = records[:size]
        last_seq = page[-1].seq if len(records) > size else None
        return [get_view(record, now_us) for record in page], last_seq

    def delete(self, okms_id: str, credential_id: str) -> dict:
        """Start revoking a credential: DELETING now, gone (404) after ``delete_delay``."""
        with self.store.transaction():
            now_us = self.clock.now_us()
            record = self._existing(okms_id, credential_id, now_us)
            status = status_at(record, now_us)
            if status == DELETING or (status == CREATING and not self.settings["delete_creating"]):
                raise bad_request("CredentialStatusInvalid", "credential %s is %s and cannot be deleted now" % (credential_id, status))
            gone_us = now_us + seconds_to_us(self.settings["delete_delay"])
            self.store.update_credential(credential_id, deleting_us=now_us, gone_us=gone_us)
            record.deleting_us, record.gone_us = now_us, gone_us
        return get_view(record, now_us, status=DELETING)

    def force(self, credential_id: str, changes) -> dict:
        """Admin: force a status (READY lifts any forcing and ends CREATING) and/or set ``expiredAt``."""
        if not isinstance(changes, dict) or not changes or set(changes) - {"status", "expiredAt"}:
            raise bad_request("", 'send {"status": %s} and/or {"expiredAt": RFC 3339}' % "|".join(FORCEABLE))
        updates = {}
        if "status" in changes:
            if changes["status"] not in FORCEABLE:
                raise bad_request("", "status must be one of " + ", ".join(FORCEABLE))
            updates["forced_status"] = None if changes["status"] == READY else changes["status"]
        if "expiredAt" in changes:
            try:
                updates["expired_us"] = parse_rfc3339(changes["expiredAt"])
            except (TypeError, ValueError):
                raise bad_request("", "expiredAt must be an RFC 3339 time with an offset") from None
        with self.store.transaction():
            now_us = self.clock.now_us()
            record = self.store.get_credential(credential_id)
            if record is None or status_at(record, now_us) is None:
                raise _missing(credential_id)
            if changes.get("status") == READY:
                updates["ready_us"] = min(record.ready_us, now_us)
            self.store.update_credential(credential_id, **updates)
            return get_view(self.store.get_credential(credential_id), now_us)

    def preload(self, domain, count: int) -> int:
        """Store ``count`` READY credentials at once (benchmarks): one shared key, distinct certificates."""
        public_key = new_private_key().public_key()
        now_us = self.clock.now_us()
        fields = {
            "description": "preloaded by the emulator", "identity_urns": ["urn:v1:eu:identity:account:" + domain.nichandle],
            "validity": VALIDITY_DEFAULT, "from_csr": False, "certificate_type": "ECDSA",
        }
        serials = {}
        records = [
            self._record(public_key, domain.id, {**fields, "name": "preload-%d" % index}, now_us, now_us, serials) for index in range(count)
        ]
        self.store.insert_credentials(records, serials)
        return len(records)

    def _credential_id_of_serial(self, serial: int) -> str | None:
        by_table = self.store.credential_id_of_serial(serial)
        if by_table is not None or serial >= 1 << 128:
            return by_table
        return str(uuid.UUID(int=serial))

    def identity_urns(self, certificate_der: bytes) -> list:
        """The identity URNs of the credential a (checked, accepted) client certificate belongs to."""
        certificate = x509.load_der_x509_certificate(certificate_der)
        record = self.store.get_credential(self._credential_id_of_serial(certificate.serial_number))
        return list(record.identity_urns) if record else []

    def refusal(self, okms_id: str | None, certificate_der: bytes | None) -> str | None:
        """Why a client certificate may not use domain ``okms_id`` (None: it may): READY credential of that domain only."""
        if certificate_der is None:
            return "no client certificate"
        certificate = x509.load_der_x509_certificate(certificate_der)
        record = self.store.get_credential(self._credential_id_of_serial(certificate.serial_number))
        issued = x509.load_pem_x509_certificate(record.certificate_pem.encode("ascii")) if record else None
        if issued is None or issued.public_bytes(serialization.Encoding.DER) != certificate_der:
            return "unknown certificate"
        if record.okms_id != okms_id:
            return "certificate of another KMS domain"
        status = status_at(record, self.clock.now_us())
        if status != READY:
            return "credential %s is %s" % (record.id, status or "deleted")
        return None

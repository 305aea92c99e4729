# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Setting ``kms_refused_certificate: tls_alert``: the mTLS handshake itself refuses a credential's certificate.

Python's ``ssl`` has no verification callback, so the refusal goes through OpenSSL's own check: a CRL
of CCMUsersCA listing every issued certificate that no status lets in (deleted, forced ERROR/EXPIRED,
expired on the emulator's clock). The handshake then fails with the alert ``certificate_revoked``
(44). The context is rebuilt only when that set changes. A certificate of another domain cannot be
refused this way (the handshake does not know the path): it still gets HTTP 401.
"""

from __future__ import annotations

import datetime
import functools
import os
import ssl
import threading

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

CRL_FILE = "refused-certificates.crl.pem"


@functools.lru_cache(maxsize=4096)
def _serial_of(certificate_pem: str) -> int:
    return x509.load_pem_x509_certificate(certificate_pem.encode("ascii")).serial_number


class RefusingContexts:
    """Chooses the mTLS endpoint's context for each connection."""

    def __init__(self, services, users_ca, make_context, state_dir: str) -> None:
        self.services = services
        self.users_ca = users_ca
        self.make_context = make_context
        self.crl_path = os.path.join(state_dir, CRL_FILE)
        self._lock = threading.Lock()
        self._refused = None
        self._context = None

    def context(self, default: ssl.SSLContext) -> ssl.SSLContext:
        """``default`` unless refused certificates end at the handshake."""
        if self.services.settings["kms_refused_certificate"] != "tls_alert":
            return default
        store, clock = self.services.store, self.services.clock
        refused = frozenset(_serial_of(pem) for pem in store.refused_certificates(clock.now_us()))
        with self._lock:
            if refused != self._refused:
                self._context = self._refusing_context(refused)
                self._refused = refused
            return self._context

    def _crl_pem(self, serials: frozenset) -> bytes:
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.users_ca.certificate.subject)
            .last_update(now)
            .next_update(now + datetime.timedelta(days=1))
        )
        for serial in sorted(serials):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(now).build()
            )
        return builder.sign(self.users_ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.PEM)

    def _refusing_context(self, serials: frozenset) -> ssl.SSLContext:
        with open(self.crl_path, "wb") as handle:
            handle.write(self._crl_pem(serials))
        context = self.make_context()
        context.load_verify_locations(cafile=self.crl_path)
        context.verify_flags |= ssl.VERIFY_CRL_CHECK_LEAF
        return context

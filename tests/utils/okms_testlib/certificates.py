# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What the tests read in a host's client certificate."""

from __future__ import annotations

import uuid
from pathlib import Path

from cryptography import x509


def load_certificate(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(Path(path).read_bytes())


def credential_id(certificate: x509.Certificate) -> str:
    """The id of the OKMS credential a certificate belongs to: OKMS writes it as the certificate's serial number."""
    return str(uuid.UUID(int=certificate.serial_number))

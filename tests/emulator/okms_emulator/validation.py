# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks of the credential Creation body, answering the reference's 400 classes.

Choices where the reference is silent (written down in the README): a missing or null ``name`` is
treated as empty and a missing or null ``identityURNs`` as an empty list (Go zero values); a value
of the wrong JSON type and an unknown key answer plain ``Client::BadRequest``; one identity URN may
be at most 256 characters (``CredentialIdentityURNsInvalidSize``); a CSR at most 4096 characters.
"""

from __future__ import annotations

import dataclasses
import re

from okms_emulator.errors import bad_request

NAME_MAX = 50
DESCRIPTION_MAX = 200
URNS_MAX = 25
URN_MAX_LENGTH = 256
VALIDITY_MIN = 1
VALIDITY_MAX = 365
VALIDITY_DEFAULT = 365
CSR_MAX = 4096
CERTIFICATE_TYPES = ("ECDSA", "RSA")
FIELDS = frozenset({"name", "description", "identityURNs", "validity", "csr", "certificateType"})

_PRINTABLE = re.compile(r"[ -~]*")
_PEM_TEXT = re.compile(r"[ -~\r\n]*")
_URN = re.compile(r"urn:v1:(eu|ca|us):identity:(account|user|group|credential):[a-zA-Z0-9][a-zA-Z0-9-]*(/[!-~]+)?")


@dataclasses.dataclass(frozen=True)
class CreationRequest:
    """A valid Creation body."""

    name: str
    description: str | None
    identity_urns: list
    validity: int
    csr: str | None
    certificate_type: str | None


def _typed(body: dict, field: str, kind, default=None):
    value = body.get(field)
    if value is None:
        return default
    if not isinstance(value, kind) or isinstance(value, bool):
        raise bad_request("", "%s must be a %s, got %s" % (field, kind.__name__, type(value).__name__))
    return value


def _check_text(value: str, field: str, maximum: int, minimum: int = 0) -> None:
    prefix = "Credential" + field[:1].upper() + field[1:]
    rule = "%s must be %d to %d printable ASCII characters" % (field, minimum, maximum)
    if len(value) > maximum:
        raise bad_request(prefix + "MaximumExceeded", "%s (got %d)" % (rule, len(value)))
    if len(value) < minimum or not _PRINTABLE.fullmatch(value):
        raise bad_request(prefix + "InvalidCharacter", rule)


def _check_identity_urns(urns: list) -> None:
    if not urns:
        raise bad_request("CredentialIdentityURNsMinimumRequired", "identityURNs needs at least one identity URN")
    if len(urns) > URNS_MAX:
        raise bad_request("CredentialIdentityURNsMaximumExceeded", "identityURNs has %d entries, at most %d" % (len(urns), URNS_MAX))
    for urn in urns:
        if not isinstance(urn, str):
            raise bad_request("", "identityURNs must be a list of strings")
        if len(urn) > URN_MAX_LENGTH:
            raise bad_request("CredentialIdentityURNsInvalidSize", "identity URN longer than %d characters" % URN_MAX_LENGTH)
        if not _URN.fullmatch(urn):
            raise bad_request(
                "CredentialIdentityURNsInvalidURN",
                "%r is not an identity URN (urn:v1:{eu|ca|us}:identity:{account|user|group|credential}:{nic}[/{id}])" % urn,
            )


def _check_validity(validity: int) -> None:
    if validity < VALIDITY_MIN:
        raise bad_request("CredentialValidityMinimumRequired", "validity must be at least %d day" % VALIDITY_MIN)
    if validity > VALIDITY_MAX:
        raise bad_request("CredentialValidityMaximumExceeded", "validity must be at most %d days" % VALIDITY_MAX)


def _check_csr_and_type(csr: str | None, certificate_type: str | None) -> None:
    if csr is not None and certificate_type is not None:
        raise bad_request("CredentialCertificateTypeIncompatibleFields", "certificateType cannot be sent with csr: the CSR's key decides")
    if certificate_type is not None and certificate_type not in CERTIFICATE_TYPES:
        raise bad_request("CredentialCertificateTypeInvalidEnum", "certificateType must be one of %s" % ", ".join(CERTIFICATE_TYPES))
    if csr is None:
        return
    if len(csr) > CSR_MAX:
        raise bad_request("CredentialCSRMaximumExceeded", "csr is %d characters long, at most %d" % (len(csr), CSR_MAX))
    if not _PEM_TEXT.fullmatch(csr):
        raise bad_request("CredentialCSRInvalidCharacter", "csr must be PEM text (printable ASCII and line breaks)")


def check_creation(body) -> CreationRequest:
    """The Creation request of a parsed JSON body; HttpError 400 with the reference's class otherwise."""
    if not isinstance(body, dict):
        raise bad_request("", "the body must be a JSON object")
    unknown = sorted(set(body) - FIELDS)
    if unknown:
        raise bad_request("", "unknown field(s) %s; known: %s" % (", ".join(unknown), ", ".join(sorted(FIELDS))))
    name = _typed(body, "name", str, "")
    _check_text(name, "name", NAME_MAX, minimum=1)
    description = _typed(body, "description", str)
    if description is not None:
        _check_text(description, "description", DESCRIPTION_MAX)
    urns = _typed(body, "identityURNs", list, [])
    _check_identity_urns(urns)
    validity = _typed(body, "validity", int, VALIDITY_DEFAULT)
    _check_validity(validity)
    csr = _typed(body, "csr", str)
    certificate_type = _typed(body, "certificateType", str)
    _check_csr_and_type(csr, certificate_type)
    return CreationRequest(name, description, list(urns), validity, csr, certificate_type)

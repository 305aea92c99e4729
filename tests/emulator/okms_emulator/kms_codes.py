# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""OKMS's packed ``error_code`` of the KMS domain REST API (okms-sdk-go ``errors.go``).

``code = major << 24 | minor << 16 | category << 12 | application code``. The pairs of a situation
and a code follow the decoder test table of okms-sdk-go ``errors_test.go`` (which proves the layout,
not which answer OVH gives when): see the emulator README.
"""

from __future__ import annotations

# majors
MAJOR_CCM = 1
MAJOR_REST = 3
# minors (of their major)
MINOR_GENERAL = 1
MINOR_CCM_IAM = 2
MINOR_REST_AUTHENTICATION_PROVIDER = 2
# categories
CATEGORY_INTERNAL = 1
CATEGORY_ARGUMENT = 2
CATEGORY_AUTHENTICATION = 3
CATEGORY_AUTHORIZATION = 4
CATEGORY_NOT_FOUND = 5
CATEGORY_UNAVAILABLE = 7
CATEGORY_TOO_MANY_REQUESTS = 9
CATEGORY_CONFLICT = 10


def pack(major: int, minor: int, category: int, application: int) -> int:
    """The packed code (``errors.go``)."""
    return major << 24 | minor << 16 | category << 12 | application


def unpack(code: int) -> tuple:
    """``(major, minor, category, application)`` of a packed code."""
    return (code >> 24) & 0xFF, (code >> 16) & 0xFF, (code >> 12) & 0x0F, code & 0x0FFF


AUTHENTICATION_REFUSED = pack(MAJOR_REST, MINOR_REST_AUTHENTICATION_PROVIDER, CATEGORY_AUTHENTICATION, 3)  # 50475011
AUTHORIZATION_REFUSED = pack(MAJOR_CCM, MINOR_CCM_IAM, CATEGORY_AUTHORIZATION, 1)  # 16924673
ROUTE_NOT_FOUND = pack(MAJOR_REST, MINOR_GENERAL, CATEGORY_NOT_FOUND, 1)  # 50417665

_GENERAL_CATEGORY_OF_STATUS = {
    401: (CATEGORY_AUTHENTICATION, 1),
    403: (CATEGORY_AUTHORIZATION, 1),
    404: (CATEGORY_NOT_FOUND, 1),
    409: (CATEGORY_CONFLICT, 1),
    429: (CATEGORY_TOO_MANY_REQUESTS, 1),
    500: (CATEGORY_INTERNAL, 1),
    502: (CATEGORY_UNAVAILABLE, 2),
    503: (CATEGORY_UNAVAILABLE, 2),
    504: (CATEGORY_UNAVAILABLE, 2),
}


def code_for_status(status: int) -> int:
    """REST/General code of an answer known only by its status (faults, bad requests, unknown routes)."""
    default = (CATEGORY_INTERNAL, 1) if status >= 500 else (CATEGORY_ARGUMENT, 1)
    category, application = _GENERAL_CATEGORY_OF_STATUS.get(status, default)
    return pack(MAJOR_REST, MINOR_GENERAL, category, application)

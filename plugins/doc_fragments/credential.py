# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # Options about a credential's expiry, shared by okms_certificate and okms_certificate_info (okms.access.credential).
    DOCUMENTATION = r"""
options:
  renew_before_days:
    description:
      - Number of days before its expiry (C(expiredAt)) from which a credential is due for renewal.
      - V(0) turns renewal off; an C(EXPIRED) credential is always due.
    type: int
    default: 0
  now:
    description:
      - The current time, as an RFC 3339 timestamp such as V(2026-06-01T00:00:00+00:00), used instead of the clock of the
        machine running the module to compute C(expires_in_days) and whether a credential is due for renewal.
      - For tests, and to plan ahead (which credentials would be renewed on a given date).
    type: str
notes:
  - OVH's examples show a credential's certificate with the credential id as its serial number (the UUID read as a
    128-bit number), for credentials that the API makes; no OVH document promises it for every credential. The modules
    use it to find a certificate's credential with one GET, and when a serial names no credential they find it by the
    certificate's SHA-256 fingerprint among the credentials of its name (one listing).
"""

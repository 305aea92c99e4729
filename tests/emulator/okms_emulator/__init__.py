# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Local emulator of the OVHcloud API (OKMS credentials) and of a KMS domain's mTLS REST endpoint.

It shares no code with the okms.access collection: it is written from the API reference so that a
mistake in the collection cannot hide itself by being mirrored here.
"""

from __future__ import annotations

__version__ = "1.0.0"

# -*- coding: utf-8 -*-
# Copyright: (c) 2026, okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    # What every Secret Manager module and plugin takes (the okms.access.secret fragment).
    DOCUMENTATION = r"""
options:
  okms_id:
    description:
      - The id (a UUID) of the KMS domain that holds the secrets.
    type: str
    required: true
"""

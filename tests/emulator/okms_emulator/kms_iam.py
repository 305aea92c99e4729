# Copyright (c) 2026 okms.access contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""IAM actions of the KMS domain's REST API (``okms:apikms:...``), as okms-sdk-go's REST schema names them.

An identity of an account lacks the actions of its account's ``kms_denied_actions`` (``--config``) and
those of the runtime setting of the same name (every account). Imports nothing from the emulator.
"""

from __future__ import annotations

PREFIX = "okms:apikms:"
RANDOM_GET = PREFIX + "random/get"
SECRET_CONFIG_GET = PREFIX + "secretConfig/get"

# every action of the IAM table of okms-sdk-go .github/codegen/schemas/swagger.yaml
KMS_ACTIONS = frozenset(PREFIX + suffix for suffix in (
    "random/get",
    "serviceKey/create", "serviceKey/import", "serviceKey/get", "serviceKey/update", "serviceKey/delete",
    "serviceKey/activate", "serviceKey/deactivate", "serviceKey/encrypt", "serviceKey/decrypt",
    "serviceKey/sign", "serviceKey/verify", "serviceKey/dataKey/create", "serviceKey/dataKey/decrypt",
    "secret/get", "secret/create", "secret/delete", "secret/updateMetadata", "secret/subKeys/get",
    "secret/version/create", "secret/version/getData", "secret/version/delete", "secret/version/activate",
    "secret/version/deactivate", "secretConfig/get", "secretConfig/update",
))


def check_kms_actions(actions) -> None:
    """ValueError naming the first action that is not an ``okms:apikms:`` action of the schema."""
    for action in actions:
        if action not in KMS_ACTIONS:
            raise ValueError("%r is not a KMS REST IAM action (known: %s)" % (action, ", ".join(sorted(KMS_ACTIONS))))


def lacks(account_denied: frozenset, runtime_denied, action: str | None) -> bool:
    """Whether an identity of an account lacks ``action`` (None: the route needs no action)."""
    return action is not None and (action in account_denied or action in runtime_denied)

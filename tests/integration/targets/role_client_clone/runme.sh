#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms.access.client on a cloned host (its files copied from another host): it gets its own credential with a warning,
# the source host's credential is kept; revoking the clone keeps the source's. Rows: okms_testlib/role_faults.py.

source ../role_client_common/lib.sh
"$PYTHON" "$COMMON/role_test.py" faults "$CONFIG" "$WORK" "$TARGET" "${VERBOSITY[@]}"

#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms.access.client in shared mode, a rotation that does not reach every host (--limit, an unreachable host): the
# credential that the hosts outside the run hold is never deleted; a run on every host then converges (census 0).
# Rows: okms_testlib/role_faults.py.

source ../role_client_common/lib.sh
"$PYTHON" "$COMMON/role_test.py" faults "$CONFIG" "$WORK" "$TARGET" "${VERBOSITY[@]}"

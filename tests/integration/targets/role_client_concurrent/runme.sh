#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Two okms.access.client first runs at once: on one controller (per_host, and shared mode) the census is 0 at once; on
# two controllers (their own temporary and lock directories) nothing is lost and the next run leaves no duplicate.
# Rows: okms_testlib/role_faults.py.

source ../role_client_common/lib.sh
"$PYTHON" "$COMMON/role_test.py" faults "$CONFIG" "$WORK" "$TARGET" "${VERBOSITY[@]}"

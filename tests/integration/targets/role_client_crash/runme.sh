#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms.access.client killed (the whole process tree of ansible-playbook) at each step of a first run or a rotation, or
# failing in one: after the create committed, while waiting for READY, between the key and certificate renames, in the
# reload handler, DELETE answering 500, a READY wait that times out, a new credential in ERROR. The next run repairs: census 0 (lost keys,
# duplicates, foreign deletes, mismatched pairs, unsafe files, leaks). Rows: okms_testlib/role_faults.py.

source ../role_client_common/lib.sh
"$PYTHON" "$COMMON/role_test.py" faults "$CONFIG" "$WORK" "$TARGET" "${VERBOSITY[@]}"

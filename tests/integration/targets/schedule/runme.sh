#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The role okms.access.schedule writes its units (four-step pattern), `systemd-analyze verify` accepts them (systemd is
# not PID 1 here, so the timer is not started), and the AWX recipe of the docs passes a syntax check with awx.awx.

set -euo pipefail
WORK=$(mktemp -d "${TMPDIR:-/tmp}/schedule.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROOT=$PWD
while [[ ! -f $ROOT/docs/schedules/awx.yml ]]; do ROOT=$(dirname "$ROOT"); [[ $ROOT != / ]] || { echo "no docs/schedules/awx.yml above $PWD" >&2; exit 1; }; done

install() {  # install WHAT CHANGED(true|false) [ARGS...]
    echo "=== schedule: $1"
    ansible-playbook -i localhost, -c local install.yml -e "okms_test_work=$WORK" -e "okms_test_user=$(id -un)" \
        -e "okms_test_ansible_playbook=$(command -v ansible-playbook)" -e ansible_python_interpreter="$(command -v python3)" "${@:3}" | tee "$WORK/log"
    grep -Eq "localhost +: .*changed=$([[ $2 == true ]] && echo '[1-9]' || echo 0) " "$WORK/log" || { echo "FAILED: $1: changed should be $2" >&2; exit 1; }
}
install "check mode" true --check
test ! -e "$WORK/okms-access-renew.service" || { echo "FAILED: check mode wrote a unit" >&2; exit 1; }
install "install" true
install "check mode again" false --check
install "again" false

echo "=== schedule: systemd-analyze verify"
verified=$(systemd-analyze verify "$WORK/okms-access-renew.service" "$WORK/okms-access-renew.timer" 2>&1)
[[ -z $verified ]] || { echo "$verified"; echo "FAILED: systemd-analyze verify complained" >&2; exit 1; }
grep -q "^ExecStart=$(command -v ansible-playbook) -i $WORK/inventory okms.access.renew -e okms_renew_batch=50$" "$WORK/okms-access-renew.service"
grep -q "^OnCalendar=\*-\*-\* 03:00:00$" "$WORK/okms-access-renew.timer"
systemd-analyze calendar "*-*-* 03:00:00" >/dev/null

echo "=== schedule: the AWX recipe"
ansible-playbook --syntax-check "$ROOT/docs/schedules/awx.yml"

#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The playbook okms.access.renew on three hosts (per_host mode). Hosts that must not be touched are put behind a closed
# loopback port (ssh to 127.0.0.1:9): any connection to them would make the run fail as UNREACHABLE, so a passing run with
# them in the inventory proves they were never connected to. Nothing due: no host connection, one listing page, at most
# ceil(M/1000)+2 API requests; some due: only those run; a maintenance window holds back what can wait.

source ../role_client_common/lib.sh
H1=${HOSTS[0]} H2=${HOSTS[1]} H3=${HOSTS[2]}
setup per_host "${INVENTORY_ROLE_VARS[@]}"

# renew "WHAT" LOCAL_HOSTS CHANGED [ARGS...]: okms.access.renew with only LOCAL_HOSTS reachable (comma-separated);
# the recap must show CHANGED (comma-separated) changed, the other local hosts unchanged, and no other test host at all.
renew() {
    local what=$1 local_hosts=$2 changed=$3 host
    step "$what"
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
    "$PYTHON" - "$WORK/inventory.yml" "$WORK/renew-inventory.yml" "$local_hosts" <<'PY'
import sys, yaml
source, target, reachable = sys.argv[1], sys.argv[2], set(filter(None, sys.argv[3].split(',')))
inventory = yaml.safe_load(open(source))
for host, variables in inventory['fleet']['hosts'].items():
    if host not in reachable:
        variables.update(ansible_connection='ssh', ansible_host='127.0.0.1', ansible_port=9, ansible_ssh_timeout=2)
yaml.safe_dump(inventory, open(target, 'w'))
PY
    set +e
    ansible-playbook -i "$WORK/renew-inventory.yml" okms.access.renew -e "@$CONFIG" "${VERBOSITY[@]}" "${@:4}" 2>&1 | tee "$LOG"
    local rc=${PIPESTATUS[0]}
    set -e
    [[ $rc == 0 ]] || { echo "FAILED: $what: ansible-playbook failed ($rc)" >&2; exit 1; }
    local unchanged=""
    for host in ${local_hosts//,/ }; do
        [[ ,$changed, == *,$host,* ]] || unchanged+="${unchanged:+,}$host"
    done
    "$PYTHON" "$COMMON/role_test.py" recap "$LOG" --changed "$changed" --unchanged "$unchanged" --absent "$(absent_hosts "$changed,$unchanged")"
}

absent_hosts() {  # the test hosts not in the comma-separated list $1
    local host out=""
    for host in "${HOSTS[@]}"; do
        [[ ,$1, == *,$host,* ]] || out+="${out:+,}$host"
    done
    echo "$out"
}

renew "first run: no host has a credential" "$ALL" "$ALL"
requests --writes 3
check present

renew "nothing due: no host is connected to" "" ""
# ceil(M/1000)+2 with M < 1,000 credentials in the test domain: one page and at most two more requests (authentication).
requests --list-pages 1 --writes 0 --mtls 0 --max-total 3
expect "the run says so" grep -q "3 hosts: 0 due, 0 held back until the maintenance window, 3 up to date" "$LOG"

before=$(serial "$H2")
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" expire "$before" 5
renew "$H2 expires in 5 days: only $H2 runs" "$H2" "$H2"
expect "$H2 has a new credential" test "$(serial "$H2")" != "$before"
requests --writes 2

# A window on a day two days from now: $H1 (expires in 1 day) lapses before it and is renewed now; $H3 (expires in 20
# days, within renew_before_days=30) waits for the window.
day=$(date -u -d '+2 days' +%a | tr '[:upper:]' '[:lower:]')
closed='{"okms_renew_window": {"days": ["'$day'"], "start": "00:00", "hours": 1}}'
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" expire "$(serial "$H1")" 1
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" expire "$(serial "$H3")" 20
held=$(serial "$H3")
renew "window closed: $H1 lapses before it, $H3 waits" "$H1" "$H1" -e "$closed"
expect "$H3 is held back" grep -q "held back" "$LOG"
expect "$H3 kept its credential" test "$(serial "$H3")" = "$held"

open='{"okms_renew_window": {"start": "'$(date -u -d '-1 hour' +%H:%M)'", "hours": 2}}'
renew "window open: $H3 is renewed" "$H3" "$H3" -e "$open"
expect "$H3 has a new credential" test "$(serial "$H3")" != "$held"

rm "$WORK/hosts/$H2/etc/okms/domain.key"
renew "$H2 lost its key: invisible to the API" "" ""
renew "check_hosts: $H2 lost its key" "$ALL" "$H2" -e okms_renew_check_hosts=true
check present
renew "check mode: nothing due" "" "" --check

#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms.access.client past one plain play, on six local hosts: strategy free refused before any API call; AWX-style job
# slicing (three ansible-playbook processes at once, two hosts each) gives the result of one run, each slice listing
# once; serial batches share one authentication and one domain read.

source ../role_client_common/lib.sh
HOSTS=("${TARGET}_1" "${TARGET}_2" "${TARGET}_3" "${TARGET}_4" "${TARGET}_5" "${TARGET}_6")
ALL=$(IFS=,; echo "${HOSTS[*]}")
SLICES=("${HOSTS[0]},${HOSTS[1]}" "${HOSTS[2]},${HOSTS[3]}" "${HOSTS[4]},${HOSTS[5]}")
setup per_host

step "strategy free is refused"
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
if ANSIBLE_STRATEGY=free playbook site.yml; then
    echo "FAILED: the role ran with strategy free" >&2
    exit 1
fi
expect "the message says why" grep -q "needs the linear strategy, the play runs with strategy 'free'" "$LOG"
requests --writes 0 --max-okms-reads 0 --route "GET /1.0/auth/time=0"

# sliced "WHAT" ARGS...: the three slices at once (disjoint --limit), each one's recap checked on its own log.
sliced() {
    local what=$1 slice index pids=()
    step "$what"
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
    for index in "${!SLICES[@]}"; do
        ansible-playbook -i "$WORK/inventory.yml" "$COMMON/site.yml" -e "@$CONFIG" --limit "${SLICES[$index]}" "${VERBOSITY[@]}" "${@:2}" \
            >"$WORK/slice-$index.log" 2>&1 &
        pids+=($!)
    done
    for index in "${!SLICES[@]}"; do
        wait "${pids[$index]}" || { cat "$WORK/slice-$index.log"; echo "FAILED: $what: slice $index failed" >&2; exit 1; }
    done
    for index in "${!SLICES[@]}"; do
        slice=${SLICES[$index]}
        if [[ $what == *first* ]]; then
            "$PYTHON" "$COMMON/role_test.py" recap "$WORK/slice-$index.log" --changed "$slice" --unchanged ""
        else
            "$PYTHON" "$COMMON/role_test.py" recap "$WORK/slice-$index.log" --changed "" --unchanged "$slice"
        fi
    done
}

sliced "first run, three slices at once"
# Each slice lists the domain once (its hosts have no certificate yet) and authenticates once.
requests --writes 6 --list-pages 3 --route "GET /1.0/auth/time=3"
check present
run "one run over every host after the slices" "" "$ALL"
requests --writes 0 --list-pages 0
sliced "second run, three slices at once"
requests --writes 0 --list-pages 0 --mtls 6

run "serial 2: three batches, one authentication and one domain read" "" "$ALL" -e okms_test_serial=2
requests --writes 0 --list-pages 0 --route "GET /1.0/auth/time=1" --route "GET /v2/okms/resource/{okmsId}=1"

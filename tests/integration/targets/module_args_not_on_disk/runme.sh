#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# No key or secret data left on disk by a kill. Ansible writes a module, with its arguments, to AnsiballZ_*.py in a
# temporary directory of the controller (local_tmp) or of the host (remote_tmp) unless it pipelines the module over
# stdin; a killed run never removes it. Each row starts a run whose module waits on the emulator (a delay fault), kills
# the run's whole process tree while the module is running, then looks at every file left in the temporary directories
# (local_tmp, remote_tmp and TMPDIR, where the module's code is unpacked): none may hold an API secret, a private key or
# secret data. One more row checks at -vvv that no module of the collection is transferred as a file.

source ../role_client_common/lib.sh
H1=${HOSTS[0]}
setup shared okms_client_name="${TARGET}_play"
TEMPS=$WORK/temps
mkdir -p "$TEMPS/local" "$TEMPS/remote" "$TEMPS/tmp"
export ANSIBLE_LOCAL_TEMP=$TEMPS/local ANSIBLE_REMOTE_TEMP=$TEMPS/remote TMPDIR=$TEMPS/tmp
config() { "$PYTHON" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["okms_emulator"][sys.argv[2]])' "$CONFIG" "$1"; }
MARKER=secret-data-$RANDOM$RANDOM$RANDOM
SECRETS=("$(config application_secret)" "$(config consumer_key)" "PRIVATE KEY" "$MARKER")

# killed "WHAT" ROUTE PLAYBOOK [ARGS...]: run PLAYBOOK on H1 with a delay on ROUTE, kill it while ROUTE is answered.
killed() {
    local what=$1 route=$2 pid
    step "killed: $what"
    rm -rf "${TEMPS:?}"/*/*
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" delay "$route" 20
    ansible-playbook -i "$WORK/inventory.yml" -l "$H1" "$3" -e "@$CONFIG" -e "okms_test_marker=$MARKER" \
        "${VERBOSITY[@]}" "${@:4}" >"$LOG" 2>&1 &
    pid=$!
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" wait-request "$route"
    # The whole tree: ansible-playbook, its workers (each in a session of its own) and the module.
    "$PYTHON" "$COMMON/role_test.py" kill-tree "$pid"
    wait "$pid" || true
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" clear-faults
    nothing_secret_left
}

nothing_secret_left() {
    local secret found=0
    echo "left in the temporary directories:"
    (cd "$TEMPS" && find . -type f -printf '  %p (%s bytes)\n')
    for secret in "${SECRETS[@]}"; do
        if grep -rlF -- "$secret" "$TEMPS"; then found=1; fi
    done
    expect "no API secret, private key or secret data in them" test "$found" -eq 0
}

killed "okms_certificate on the controller, the API secrets in its arguments" \
    "POST /v2/okms/resource/{okmsId}/credential" modules.yml -e okms_test_case=certificate
killed "okms_secret on the controller, secret data in its arguments" \
    "GET /v2/okms/resource/{okmsId}/secret/{path}" modules.yml -e okms_test_case=secret
# The role's host module gets the API-generated key in the shared mode; it waits in its mutual TLS check.
killed "the role's okms_client_files on the host, the shared key in its arguments" \
    "GET /api/{okmsId}/v1/random" "$COMMON/site.yml"

step "okms_secret_file on the host: its arguments are not written to a file"
rm -rf "${TEMPS:?}"/*/*
ansible-playbook -i "$WORK/inventory.yml" -l "$H1" modules.yml -e "@$CONFIG" -e okms_test_case=secret_file \
    -e "okms_test_marker=$MARKER" -vvv >"$LOG" 2>&1
expect "the secret file was written" grep -qF -- "$MARKER" "$WORK/hosts/$H1/secret"
expect "no module was transferred as a file" not grep -E "PUT .*AnsiballZ_" "$LOG"
nothing_secret_left

step "clean up"
playbook clean.yml >/dev/null

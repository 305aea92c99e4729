# shellcheck shell=bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Sourced by the runme.sh of the role_client_* targets (cwd: the target's directory, arguments: ansible-test's -v...).
# Three local hosts, each with its own root directory, so that paths, modes and owners are those of real files.
# integration_config.yml (written by the pipeline) describes the emulator; ansible-test copies it two levels up.

set -euo pipefail

COMMON=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TARGET=$(basename "$PWD")
CONFIG=$(cd ../.. && pwd)/integration_config.yml
PYTHON=${ANSIBLE_TEST_PYTHON_INTERPRETER:-python3}
VERBOSITY=("$@")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/$TARGET.XXXXXX")
HOSTS=("${TARGET}_1" "${TARGET}_2" "${TARGET}_3")
# shellcheck disable=SC2034  # used by the runme.sh scripts that source this file
ALL=$(IFS=,; echo "${HOSTS[*]}")
LOG=$WORK/last-run.log
USER_NAME=$(id -un)
GROUP_NAME=$(id -gn)

[[ -f $CONFIG ]] || { echo "no $CONFIG: the pipeline writes it (make integration)" >&2; exit 1; }

# setup's group variables for the playbooks that take everything from the inventory (okms.access.renew, okms.access.audit).
# shellcheck disable=SC2034  # used by the runme.sh scripts that source this file
INVENTORY_ROLE_VARS=(
    'okms_client_okms_id="{{ okms_emulator.okms_id }}"'
    'okms_client_identity_urns=["urn:v1:eu:identity:account:{{ okms_emulator.nichandle }}"]'
    'okms_client_api={"endpoint": "{{ okms_emulator.api_url }}", "application_key": "{{ okms_emulator.application_key }}", "application_secret": "{{ okms_emulator.application_secret }}", "consumer_key": "{{ okms_emulator.consumer_key }}", "ca_path": "{{ okms_emulator.ca_file }}"}'
)

cleanup() {
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" clear-faults || true
    rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n=== %s: %s\n' "$TARGET" "$*"; }

# setup MODE [KEY=VALUE ...]: the inventory of the three hosts; KEY=VALUE are group variables (YAML values).
setup() {
    local mode=$1
    shift
    {
        echo "fleet:"
        echo "  vars:"
        echo "    ansible_connection: local"
        echo "    ansible_python_interpreter: \"{{ ansible_playbook_python }}\""
        echo "    okms_client_mode: $mode"
        echo "    okms_test_user: $USER_NAME"
        echo "    okms_test_group: $GROUP_NAME"
        for pair in "$@"; do
            echo "    ${pair%%=*}: ${pair#*=}"
        done
        echo "  hosts:"
        for host in "${HOSTS[@]}"; do
            mkdir -p "$WORK/hosts/$host/etc"
            echo "    $host:"
            echo "      okms_test_root: $WORK/hosts/$host"
            echo "      okms_client_dir: $WORK/hosts/$host/etc/okms"
        done
    } >"$WORK/inventory.yml"
    step "clean slate"
    playbook clean.yml || { echo "FAILED: deleting the credentials of an earlier run" >&2; exit 1; }
}

playbook() {  # playbook PLAYBOOK [ARGS...]: exit code of ansible-playbook, its output on stdout and in $LOG
    set +e
    ansible-playbook -i "$WORK/inventory.yml" "$COMMON/$1" -e "@$CONFIG" "${VERBOSITY[@]}" "${@:2}" 2>&1 | tee "$LOG"
    local rc=${PIPESTATUS[0]}
    set -e
    return "$rc"
}

# run "WHAT" CHANGED UNCHANGED [ARGS...]: the role on the three hosts (site.yml), then the recap is checked:
# CHANGED and UNCHANGED are comma-separated hosts that must have changed something / nothing. The emulator's
# counters are reset first, so that `requests` checks this run only.
run() {
    local what=$1 changed=$2 unchanged=$3
    step "$what"
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
    rm -f "$WORK"/hosts/*/handler-ran
    playbook site.yml "${@:4}" || { echo "FAILED: $what: ansible-playbook failed" >&2; exit 1; }
    "$PYTHON" "$COMMON/role_test.py" recap "$LOG" --changed "$changed" --unchanged "$unchanged"
}

requests() {  # requests --writes N ...: the emulator's counters since the last run started
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" requests "$@"
}

check() {  # check present|absent [ARGS...]: check.yml asserts the hosts' files and the API's credentials
    step "check: $1"
    playbook check.yml -e "okms_test_expect=$1" "${@:2}" || { echo "FAILED: check $1" >&2; exit 1; }
}

serial() {  # serial HOST: the credential id of HOST's certificate
    "$PYTHON" "$COMMON/role_test.py" serial "$WORK/hosts/$1/etc/okms/client.cert"
}

handler_ran() {  # handler_ran HOST: whether the test handler (topic "okms client certificate changed") ran for HOST
    [[ -f $WORK/hosts/$1/handler-ran ]]
}

handler_ran_only() {  # handler_ran_only HOST: the test handler ran for HOST and for no other host
    local host
    for host in "${HOSTS[@]}"; do
        if [[ $host == "$1" ]]; then handler_ran "$host" || return 1; else not handler_ran "$host" || return 1; fi
    done
}

not() { ! "$@"; }

expect() {  # expect "WHAT" CONDITION...: fail the target unless the command succeeds
    local what=$1
    shift
    if "$@"; then
        echo "ok: $what"
    else
        echo "FAILED: $what" >&2
        exit 1
    fi
}

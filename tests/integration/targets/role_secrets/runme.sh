#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms.access.secrets on local hosts (3, or ROLE_SECRETS_HOSTS) sharing the same secrets: the first run writes every
# file and runs the handler, an idempotent run changes nothing and makes no API write, each run reads each distinct
# secret once (not once per host), a new secret version is predicted by check mode (without writing) and then written
# with the handler, the collection's playbook finds a template beside the inventory, a missing template or dest directory
# fails before any API call naming it, and no secret value appears in the -vvv output of any run.
# ROLE_SECRETS_HOSTS=50 ROLE_SECRETS_EXTRA=2 bash runme.sh -vvv measures a larger play (50 hosts, 3 + 2 distinct
# secrets, same checks).

source ../role_client_common/lib.sh
COUNT=${ROLE_SECRETS_HOSTS:-3}
mapfile -t FLEET < <(for number in $(seq 1 "$COUNT"); do echo "${TARGET}_$number"; done)
FLEET_ALL=$(IFS=,; echo "${FLEET[*]}")
OUTPUT=$WORK/all-runs.log
EXTRA=${ROLE_SECRETS_EXTRA:-0}
VALUES=(okms-secret-test-value-db-1 okms-secret-test-value-db-2 okms-secret-test-value-api-token)
for number in $(seq 1 "$EXTRA"); do VALUES+=("okms-secret-test-value-extra-$number"); done
# Distinct secrets read by a run: role_secrets/db (field and whole data), its version 1, role_secrets/api (template),
# the extra ones.
READS=$((3 + EXTRA))

secrets_json() {  # secrets_json DB_PASSWORD: okms_test_secrets as JSON
    printf '{"okms_test_secrets": {"role_secrets/db": {"user": "app", "password": "%s", "port": 5432},' "$1"
    for number in $(seq 1 "$EXTRA"); do
        printf ' "role_secrets/extra-%d": {"value": "%s"},' "$number" "${VALUES[$((2 + number))]}"
    done
    printf ' "role_secrets/api": {"token": "%s", "url": "https://api.example.invalid"}}}' "${VALUES[2]}"
}

secrets_play() {  # secrets_play PLAYBOOK DB_PASSWORD [ARGS...]: a playbook with the secrets as extra vars, output kept
    secrets_json "$2" >"$WORK/secrets.json"
    playbook "../role_secrets/$1" -e "@$WORK/secrets.json" -e "@$WORK/api.json" "${@:3}"
    local rc=$?
    cat "$LOG" >>"$OUTPUT"
    return "$rc"
}

run_role() {  # run_role "WHAT" CHANGED UNCHANGED [ARGS...]: the role on every host, then recap and request counters
    step "$1"
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
    rm -f "$WORK"/hosts/*/handler-ran
    secrets_play site.yml "$DB_PASSWORD" "${@:4}" || { echo "FAILED: $1: ansible-playbook failed" >&2; exit 1; }
    "$PYTHON" "$COMMON/role_test.py" recap "$LOG" --changed "$2" --unchanged "$3"
    requests --writes 0 --max-okms-reads "$READS"
}

handlers_ran() {  # handlers_ran: the handler ran on every host
    for host in "${FLEET[@]}"; do [[ -f $WORK/hosts/$host/handler-ran ]] || return 1; done
}

no_handler_ran() {
    for host in "${FLEET[@]}"; do [[ ! -f $WORK/hosts/$host/handler-ran ]] || return 1; done
}

{
    echo "fleet:"
    echo "  vars:"
    echo "    ansible_connection: local"
    echo "    ansible_python_interpreter: \"{{ ansible_playbook_python }}\""
    echo "    okms_secrets_okms_id: \"{{ okms_emulator.okms_id }}\""
    echo "    okms_secrets_files:"
    echo "      - {secret: role_secrets/db, field: password, dest: \"{{ okms_test_root }}/db-password\", mode: \"0640\"}"
    echo "      - {secret: role_secrets/db, dest: \"{{ okms_test_root }}/db.json\"}"
    echo "      - {secret: role_secrets/db, version: 1, field: password, dest: \"{{ okms_test_root }}/db-password-v1\"}"
    echo "      - {secret: role_secrets/api, template: \"{{ playbook_dir }}/api.conf.j2\", dest: \"{{ okms_test_root }}/api.conf\"}"
    for number in $(seq 1 "$EXTRA"); do
        echo "      - {secret: role_secrets/extra-$number, dest: \"{{ okms_test_root }}/extra-$number.json\"}"
    done
    echo "  hosts:"
    for host in "${FLEET[@]}"; do
        mkdir -p "$WORK/hosts/$host"
        echo "    $host: {okms_test_root: $WORK/hosts/$host}"
    done
} >"$WORK/inventory.yml"
"$PYTHON" - "$CONFIG" >"$WORK/api.json" <<'PYTHON'
import json, sys, yaml
emulator = yaml.safe_load(open(sys.argv[1]))['okms_emulator']
api = {name: emulator[name] for name in ('application_key', 'application_secret', 'consumer_key')}
api.update(endpoint=emulator['api_url'], ca_path=emulator['ca_file'])
print(json.dumps({'okms_test_api': api, 'okms_secrets_api': api}))
PYTHON

trap 'secrets_play prepare.yml x -e okms_test_state=absent >/dev/null || true; cleanup' EXIT

DB_PASSWORD=${VALUES[0]}
step "store the secrets"
secrets_play prepare.yml "$DB_PASSWORD" || { echo "FAILED: storing the secrets" >&2; exit 1; }

run_role "first run writes every file" "$FLEET_ALL" ""
expect "the handler ran on every host" handlers_ran
step "check the files"
secrets_play check.yml "$DB_PASSWORD" || { echo "FAILED: files" >&2; exit 1; }

run_role "second run changes nothing" "" "$FLEET_ALL"
expect "no handler ran" no_handler_ran

DB_PASSWORD=${VALUES[1]}
step "a new version of role_secrets/db"
secrets_play prepare.yml "$DB_PASSWORD" || { echo "FAILED: new version" >&2; exit 1; }
run_role "check mode predicts the change" "$FLEET_ALL" "" --check --diff
expect "check mode wrote nothing" grep -q "${VALUES[0]}" "$WORK/hosts/${FLEET[0]}/db-password"
expect "version 1 stays in its file" grep -q "${VALUES[0]}" "$WORK/hosts/${FLEET[0]}/db-password-v1"
run_role "the new version is written" "$FLEET_ALL" "" --diff
expect "the handler ran on every host" handlers_ran
secrets_play check.yml "$DB_PASSWORD" || { echo "FAILED: files after the new version" >&2; exit 1; }
run_role "idempotent again" "" "$FLEET_ALL"
expect "version 1 still in its file" grep -q "${VALUES[0]}" "$WORK/hosts/${FLEET[0]}/db-password-v1"

step "the collection's playbook okms.access.secrets finds a template beside the inventory"
BESIDE=$WORK/beside
mkdir -p "$BESIDE" "$WORK/hosts/${FLEET[0]}/beside"
cp api.conf.j2 "$BESIDE/api.conf.j2"
{
    echo "fleet:"
    echo "  vars:"
    echo "    ansible_connection: local"
    echo "    ansible_python_interpreter: \"{{ ansible_playbook_python }}\""
    echo "    okms_secrets_okms_id: \"{{ okms_emulator.okms_id }}\""
    echo "    okms_secrets_files:"
    echo "      - {secret: role_secrets/api, template: api.conf.j2, dest: \"{{ okms_test_root }}/beside/api.conf\"}"
    echo "  hosts:"
    echo "    ${FLEET[0]}: {okms_test_root: $WORK/hosts/${FLEET[0]}}"
} >"$BESIDE/inventory.yml"
set +e
ansible-playbook -i "$BESIDE/inventory.yml" okms.access.secrets -e okms_hosts=fleet -e "@$CONFIG" -e "@$WORK/secrets.json" \
    -e "@$WORK/api.json" "${VERBOSITY[@]}" >"$LOG" 2>&1
rc=$?
set -e
cat "$LOG" >>"$OUTPUT"
expect "okms.access.secrets ran" test "$rc" -eq 0
expect "the template beside the inventory was rendered" cmp "$WORK/hosts/${FLEET[0]}/beside/api.conf" "$WORK/hosts/${FLEET[0]}/api.conf"

step "a template that is not found fails before any API call, naming where it was looked for"
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
if secrets_play site.yml "$DB_PASSWORD" \
    -e '{"okms_secrets_files": [{"secret": "role_secrets/api", "template": "nowhere.j2", "dest": "{{ okms_test_root }}/nowhere.conf"}]}'; then
    echo "FAILED: the run passed without its template" >&2; exit 1
fi
expect "the failure names the template and the playbook's directory" grep -q "template nowhere.j2 not found: .*role_secrets" "$LOG"
requests --writes 0 --max-okms-reads 0

step "a missing directory fails before any API call, naming it"
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
if secrets_play site.yml "$DB_PASSWORD" \
    -e '{"okms_secrets_files": [{"secret": "role_secrets/db", "dest": "{{ okms_test_root }}/missing/db.json"}]}'; then
    echo "FAILED: the run passed although the directory of a file is missing" >&2; exit 1
fi
expect "the failure names the missing directory" \
    grep -q "the directory of a file in okms_secrets_files does not exist: $WORK/hosts/${FLEET[0]}/missing" "$LOG"
requests --writes 0 --max-okms-reads 0

step "secret scan of every run's output"
for value in "${VALUES[@]}"; do
    expect "no secret value in the output ($(grep -c . "$OUTPUT") lines)" not grep -qF -- "$value" "$OUTPUT"
done

#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Bad input to the roles okms.access.client and okms.access.secrets fails before any API call: each row runs the role
# with one bad variable and expects a failure that names the variable and the fix, no request of any route to the
# emulator (its counters), and no file on the host.

source ../role_client_common/lib.sh
setup csr
H1=${HOSTS[0]}

# refused "WHAT" "MESSAGE" ARGS...: the client role on H1 with ARGS fails with MESSAGE, before any API call.
refused() {
    local what=$1 message=$2
    step "refused: $what"
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
    if playbook site.yml -l "$H1" "${@:3}"; then echo "FAILED: $what: the run passed" >&2; exit 1; fi
    expect "the error says: $message" grep -qF -- "$message" "$LOG"
    requests --max-total 0
    expect "no file on the host" test ! -e "$WORK/hosts/$H1/etc/okms"
}

refused "a certificate written over the key" \
    "okms_client_key_file and okms_client_cert_file both name the file 'domain.key'; give each file its own name" \
    -e okms_client_cert_file=domain.key
refused "a CA written over the key" "okms_client_key_file and okms_client_ca_file both name the file 'domain.key'" \
    -e okms_client_ca_file=domain.key
refused "okms.yaml written over the certificate" \
    "okms_client_cert_file and okms_client_okms_cli_config_file both name the file 'client.cert'" \
    -e okms_client_okms_cli_config=true -e okms_client_okms_cli_config_file=client.cert
refused "a missing controller key directory" \
    "okms_client_controller_key_dir: the directory $WORK/missing does not exist" \
    -e okms_client_mode=per_host -e "okms_client_controller_key_dir=$WORK/missing"
refused "an owner that does not exist" \
    "okms_client_owner: no user 'okms-no-such-user' exists on this host; create it first, or give an existing user name or id" \
    -e okms_client_owner=okms-no-such-user
refused "a group that does not exist" "okms_client_group: no group 'okms-no-such-group' exists on this host" \
    -e okms_client_group=okms-no-such-group
refused "a weak RSA key" "okms_client_rsa_key_size: 512 bits is too weak; use at least 2048" \
    -e okms_client_certificate_type=RSA -e okms_client_rsa_key_size=512
refused "a renewal window as long as the validity" \
    "okms_client_renew_before_days: 30 is not less than okms_client_validity (30)" -e okms_client_validity=30

step "refused: an unquoted secret file mode (600, decimal for YAML: mode 1130)"
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
if ansible-playbook -i "$WORK/inventory.yml" -l "$H1" secrets.yml -e "@$CONFIG" "${VERBOSITY[@]}" 2>&1 | tee "$LOG"; then
    echo "FAILED: the secrets role passed with mode 600" >&2
    exit 1
fi
expect "the error names the item and says: quote it" grep -qF -- "okms_secrets_files[0] ($WORK/hosts/$H1/secret): mode: the unquoted number 600 is ambiguous" "$LOG"
expect "the error gives the quoted mode" grep -qF -- "quote it: '0600'" "$LOG"
requests --max-total 0
expect "no secret file on the host" test ! -e "$WORK/hosts/$H1/secret"

step "refused: a secret file mode that is no mode"
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" reset
if ansible-playbook -i "$WORK/inventory.yml" -l "$H1" secrets.yml -e "@$CONFIG" -e "{\"okms_secrets_files\": [{\"secret\": \"role_input_validation/none\", \"dest\": \"$WORK/hosts/$H1/secret\", \"mode\": \"rw-r-----\"}]}" "${VERBOSITY[@]}" 2>&1 | tee "$LOG"; then
    echo "FAILED: the secrets role passed with mode rw-r-----" >&2
    exit 1
fi
expect "the error says why" grep -qF -- "mode: 'rw-r-----' is not a file mode" "$LOG"
requests --max-total 0

#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms.access.client where OVH may differ from the emulator's defaults (csr mode, three local hosts): certificate serials
# that are not credential ids, identities without the IAM action of the access check's route (refused with 403 or 401),
# a domain without the /v1/random route, a refused certificate as a TLS alert, a REST endpoint signed by a CA of the hosts'
# system store instead of the domain's publicCA. The emulator's settings are put back on exit.

source ../role_client_common/lib.sh
setup csr okms_client_okms_cli_config=true okms_test_auth=module_defaults
H1=${HOSTS[0]} H2=${HOSTS[1]} H3=${HOSTS[2]}
HERE=$(basename "$PWD")

"$PYTHON" "$COMMON/role_test.py" "$CONFIG" config-save "$WORK/settings.json"
restore_settings() {
    "$PYTHON" "$COMMON/role_test.py" "$CONFIG" config-restore "$WORK/settings.json" || true
    cleanup
}
trap restore_settings EXIT
settings() { "$PYTHON" "$COMMON/role_test.py" "$CONFIG" config "$@"; }
owned() {  # owned RANDOM_SERIAL: one live credential per host name, the one of its certificate (owned.yml)
    step "check: the hosts' credentials"
    playbook "../$HERE/owned.yml" -e "okms_test_random_serial=$1" || { echo "FAILED: owned.yml" >&2; exit 1; }
}
RANDOM_ROUTE='GET /api/{okmsId}/v1/random'
SECRET_CONFIG_ROUTE='GET /api/{okmsId}/v2/secretConfig'

step "certificate serials are not credential ids"
settings certificate_serial=random
run "check mode, nothing yet" "$ALL" "" --check
requests --writes 0
run "first run" "$ALL" ""
requests --writes 3 --mtls 3
owned true
run "check mode, all in place" "" "$ALL" --check
requests --writes 0 --list-pages 1
run "second run" "" "$ALL"
# One GET by serial per host finds nothing, then one listing of the domain (not one per host) finds them by fingerprint.
requests --writes 0 --list-pages 1 --mtls 3
for host in "${HOSTS[@]}"; do expect "no handler ran for $host" not handler_ran "$host"; done
step "okms_certificate: a certificate whose serial is not its credential id"
playbook "../$HERE/find_by_fingerprint.yml" -e "okms_test_work=$WORK" || { echo "FAILED: find_by_fingerprint.yml" >&2; exit 1; }

step "the identities lack okms:apikms:random/get (refused with 403)"
settings kms_denied_actions='["okms:apikms:random/get"]'
rm "$WORK/hosts/$H2/etc/okms/domain.key"
run "$H2 lost its key" "$H2" "$H1,$H3"
# The new credential, then the replaced one deleted: the refusal of the route proved the certificate accepted.
requests --writes 2
expect "the run warns that $H2's identity lacks okms:apikms:random/get" \
    grep -Eq "\[WARNING\]: .*${H2} \(credential [0-9a-f-]+\): the domain accepts the certificate, but its identity lacks the IAM action okms:apikms:random/get \(HTTP 403" "$LOG"
owned true
run "second run, random/get denied" "" "$ALL"
requests --writes 0
expect "every host warns" test "$(grep -Ec 'lacks the IAM action okms:apikms:random/get' "$LOG")" -ge 3

step "the identities lack okms:apikms:random/get (refused with 401 and the authorization category)"
settings kms_authz_status=401
rm "$WORK/hosts/$H3/etc/okms/domain.key"
run "$H3 lost its key" "$H3" "$H1,$H2"
requests --writes 2
expect "the run warns that $H3's identity lacks okms:apikms:random/get" \
    grep -Eq "${H3} \(credential [0-9a-f-]+\): .*lacks the IAM action okms:apikms:random/get \(HTTP 401" "$LOG"
owned true

step "a domain without the /v1/random route"
settings kms_denied_actions='[]' kms_authz_status=403 kms_random_route=absent
run "the check falls back to /v2/secretConfig" "" "$ALL"
requests --writes 0 --route "$RANDOM_ROUTE=3" --route "$SECRET_CONFIG_ROUTE=3"
expect "no warning" not grep -q "lacks the IAM action" "$LOG"
settings kms_denied_actions='["okms:apikms:secretConfig/get"]'
run "the fallback route refused by IAM" "" "$ALL"
expect "the run warns naming okms:apikms:secretConfig/get" grep -q "lacks the IAM action okms:apikms:secretConfig/get" "$LOG"

step "a refused certificate: an authentication refusal fails the run, naming the host, the credential and the cause"
settings kms_denied_actions='[]' kms_random_route=present
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" fault "$RANDOM_ROUTE" 401
if playbook site.yml; then echo "FAILED: the run passed although the domain refused a certificate" >&2; exit 1; fi
expect "a host failed with a message naming it, its credential and the cause" \
    grep -Eq "(${H1}|${H2}|${H3}) cannot use its OKMS key and certificate with .*/v1/random\?length=1 \(credential [0-9a-f-]{36}\): HTTP 401, authentication refused .*credential was deleted" "$LOG"
expect "exactly one host failed" test "$(grep -Ec '^\S+ +: ok=.* failed=1 ' "$LOG")" -eq 1
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" clear-faults

step "a deleted credential refused by a TLS alert"
settings kms_refused_certificate=tls_alert
cp -a "$WORK/hosts/$H1/etc/okms" "$WORK/kept-$H1"
playbook clean.yml --limit "$H1" || { echo "FAILED: deleting $H1's credential" >&2; exit 1; }
step "the access check on $H1's kept files"
playbook "../$HERE/probe.yml" --limit "$H1" -e "okms_test_probe_dir=$WORK/kept-$H1" || { echo "FAILED: probe.yml" >&2; exit 1; }
run "$H1's credential was deleted: a new one" "$H1" "$H2,$H3"
requests --writes 1
owned true

step "the REST endpoint signed by a CA of the hosts' system store, not by the domain's publicCA"
settings kms_server_ca=other_ca
OTHER_CA=$("$PYTHON" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["okms_emulator"]["other_ca_file"])' "$CONFIG")
: >"$WORK/empty-store.pem"
if SSL_CERT_FILE="$WORK/empty-store.pem" SSL_CERT_DIR="$WORK/no-store" playbook site.yml; then
    echo "FAILED: the run passed although nothing the hosts trust signs the REST endpoint" >&2; exit 1
fi
expect "the hosts fail, naming the system store and the CA file" \
    test "$(grep -c "neither the host's system store nor the CA file verifies the KMS endpoint's certificate" "$LOG")" -ge 3
SSL_CERT_FILE="$OTHER_CA" run "the hosts' system store holds the endpoint's CA: all in place" "" "$ALL"
requests --writes 0 --mtls 3
settings kms_server_ca=public_ca

step "an empty description is not sent"
playbook "../$HERE/description.yml" -e "okms_test_work=$WORK" || { echo "FAILED: description.yml" >&2; exit 1; }

run "check mode, revoke" "$ALL" "" --check -e okms_client_state=absent
requests --writes 0
run "revoke" "$ALL" "" -e okms_client_state=absent
requests --writes 3
check absent
run "check mode, revoked" "" "$ALL" --check -e okms_client_state=absent
run "revoke again" "" "$ALL" -e okms_client_state=absent
requests --writes 0

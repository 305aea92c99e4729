#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms.access.client in csr mode (the default) on three local hosts, API credentials from module_defaults:
# four-step pattern, files and modes, the okms-cli configuration, the idempotent run's API cost, a lost key,
# renewal with the handler, a failed mutual TLS check, then revocation with the four-step pattern.

source ../role_client_common/lib.sh
setup csr okms_client_okms_cli_config=true okms_test_auth=module_defaults
H1=${HOSTS[0]} H2=${HOSTS[1]} H3=${HOSTS[2]}

run "check mode, nothing yet" "$ALL" "" --check
requests --writes 0
expect "check mode wrote no file" test ! -e "$WORK/hosts/$H1/etc/okms"

run "first run" "$ALL" ""
requests --writes 3 --list-pages 1 --mtls 3
check present
for host in "${HOSTS[@]}"; do expect "the handler ran for $host" handler_ran "$host"; done

run "check mode, all in place" "" "$ALL" --check
requests --writes 0 --list-pages 0

run "second run" "" "$ALL"
# One GET by id per host, the first one's with the domain read: hosts + 1, no list, no write; every host checked.
requests --writes 0 --list-pages 0 --max-okms-reads 4 --mtls 3
for host in "${HOSTS[@]}"; do expect "no handler ran for $host" not handler_ran "$host"; done
check present

lost=$(serial "$H2")
rm "$WORK/hosts/$H2/etc/okms/domain.key"
run "check mode, $H2 lost its key" "$H2" "$H1,$H3" --check
requests --writes 0
run "$H2 lost its key" "$H2" "$H1,$H3"
# One new credential, then the old one deleted.
requests --writes 2
expect "$H2 has a new credential" test "$(serial "$H2")" != "$lost"
expect "the handler ran for $H2 only" handler_ran_only "$H2"
check present
run "after the lost key" "" "$ALL"

renewed=$(serial "$H3")
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" expire "$renewed" 10
run "check mode, $H3 expires in 10 days" "$H3" "$H1,$H2" --check
run "$H3 expires in 10 days (okms_client_renew_before_days 30)" "$H3" "$H1,$H2"
requests --writes 2
expect "$H3 has a new credential" test "$(serial "$H3")" != "$renewed"
expect "the handler ran for $H3 only" handler_ran_only "$H3"
check present
run "after the renewal" "" "$ALL"

step "a host whose mutual TLS check fails"
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" fault 'GET /api/{okmsId}/v1/random' 503
if playbook site.yml; then echo "FAILED: the run passed although one mTLS check failed" >&2; exit 1; fi
expect "a host failed with a message that names it and the reason" \
    grep -Eq "(${H1}|${H2}|${H3}) cannot use its OKMS key and certificate with .*503" "$LOG"
expect "exactly one host failed" test "$(grep -Ec '^\S+ +: ok=.* failed=1 ' "$LOG")" -eq 1
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" clear-faults

run "check mode, revoke" "$ALL" "" --check -e okms_client_state=absent
requests --writes 0
check present
run "revoke" "$ALL" "" -e okms_client_state=absent
requests --writes 3
check absent
run "check mode, revoked" "" "$ALL" --check -e okms_client_state=absent
run "revoke again" "" "$ALL" -e okms_client_state=absent
requests --writes 0

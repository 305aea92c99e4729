#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms.access.client in per_host mode (API-generated keys) on three local hosts, API credentials in okms_client_api
# (OAuth2), files group-readable (okms_client_group): four-step pattern, a controller copy of one host's key only,
# a lost certificate (its credential found by name), renewal with the handler, revocation with the four-step pattern.

source ../role_client_common/lib.sh
H1=${HOSTS[0]} H2=${HOSTS[1]} H3=${HOSTS[2]}
KEYS=$WORK/controller-keys
mkdir -m 0700 "$KEYS"
setup per_host okms_client_group="$GROUP_NAME" okms_test_auth=role_variable
# Only the first host keeps a copy of its key on the controller.
sed -i "s|^    $H1:\$|    $H1:\n      okms_client_controller_key_dir: $KEYS|" "$WORK/inventory.yml"

run "check mode, nothing yet" "$ALL" "" --check
requests --writes 0
expect "check mode wrote no file" test ! -e "$WORK/hosts/$H1/etc/okms"

run "first run" "$ALL" ""
requests --writes 3 --list-pages 1 --mtls 3
check present
expect "the controller holds the key of $H1 only, mode 0600" \
    test "$(ls "$KEYS")" = "$H1.key" -a "$(stat -c %a "$KEYS/$H1.key")" = 600
expect "the controller's copy is $H1's key" cmp -s "$KEYS/$H1.key" "$WORK/hosts/$H1/etc/okms/domain.key"

run "check mode, all in place" "" "$ALL" --check
requests --writes 0 --list-pages 0
run "second run" "" "$ALL"
requests --writes 0 --list-pages 0 --max-okms-reads 4 --mtls 3
check present

lost=$(serial "$H2")
rm "$WORK/hosts/$H2/etc/okms/client.cert"
run "check mode, $H2 lost its certificate" "$H2" "$H1,$H3" --check
requests --writes 0
run "$H2 lost its certificate" "$H2" "$H1,$H3"
# The credential of the lost certificate is found by name in the one listing of the run, and deleted.
requests --writes 2 --list-pages 1
expect "$H2 has a new credential" test "$(serial "$H2")" != "$lost"
expect "the handler ran for $H2 only" handler_ran_only "$H2"
check present
run "after the lost certificate" "" "$ALL"

renewed=$(serial "$H3")
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" expire "$renewed" 5
run "check mode, $H3 expires in 5 days" "$H3" "$H1,$H2" --check
run "$H3 expires in 5 days" "$H3" "$H1,$H2"
requests --writes 2
expect "$H3 has a new credential" test "$(serial "$H3")" != "$renewed"
expect "the handler ran for $H3 only" handler_ran_only "$H3"
check present
run "after the renewal" "" "$ALL"

run "check mode, revoke" "$ALL" "" --check -e okms_client_state=absent
requests --writes 0
run "revoke" "$ALL" "" -e okms_client_state=absent
requests --writes 3
check absent
run "check mode, revoked" "" "$ALL" --check -e okms_client_state=absent
run "revoke again" "" "$ALL" -e okms_client_state=absent
requests --writes 0

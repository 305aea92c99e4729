#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms.access.client in shared mode (one credential for the play) on three local hosts, API credentials from the OVH_*
# environment variables (the emulator's CA through REQUESTS_CA_BUNDLE): four-step pattern, one key and certificate on
# every host, a host that lost its key gets the shared one back without a new credential, renewal replaces the
# credential on every host with the handler, revocation with the four-step pattern.

source ../role_client_common/lib.sh
H1=${HOSTS[0]} H2=${HOSTS[1]} H3=${HOSTS[2]}
setup shared okms_client_name="${TARGET}_play" okms_test_auth=environment
config() { "$PYTHON" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["okms_emulator"][sys.argv[2]])' "$CONFIG" "$1"; }
OVH_ENDPOINT=$(config api_url)
OVH_APPLICATION_KEY=$(config application_key)
OVH_APPLICATION_SECRET=$(config application_secret)
OVH_CONSUMER_KEY=$(config consumer_key)
REQUESTS_CA_BUNDLE=$(config ca_file)
export OVH_ENDPOINT OVH_APPLICATION_KEY OVH_APPLICATION_SECRET OVH_CONSUMER_KEY REQUESTS_CA_BUNDLE

same_key() {  # same_key: every host holds the same private key and certificate
    for host in "$H2" "$H3"; do
        cmp -s "$WORK/hosts/$H1/etc/okms/domain.key" "$WORK/hosts/$host/etc/okms/domain.key" || return 1
        cmp -s "$WORK/hosts/$H1/etc/okms/client.cert" "$WORK/hosts/$host/etc/okms/client.cert" || return 1
    done
}

same_credential() {  # same_credential ID: every host holds the key and certificate of credential ID
    same_key && [[ $(serial "$H1") == "$1" ]]
}

run "check mode, nothing yet" "$ALL" "" --check
requests --writes 0
run "first run" "$ALL" ""
# One credential for the three hosts.
requests --writes 1 --list-pages 1 --mtls 3
check present
expect "the hosts share one key and certificate" same_key

run "check mode, all in place" "" "$ALL" --check
requests --writes 0
run "second run" "" "$ALL"
# The hosts' certificates name one credential: one GET by id for the play, with the domain.
requests --writes 0 --list-pages 0 --max-okms-reads 2 --mtls 3
check present

shared=$(serial "$H1")
rm "$WORK/hosts/$H2/etc/okms/domain.key"
run "check mode, $H2 lost the key" "$H2" "$H1,$H3" --check
run "$H2 lost the key" "$H2" "$H1,$H3"
# The key comes back from another host: no new credential.
requests --writes 0
expect "$H2 has the shared key again, same credential" same_credential "$shared"
check present
run "after the lost key" "" "$ALL"

"$PYTHON" "$COMMON/role_test.py" "$CONFIG" expire "$shared" 3
run "check mode, the shared credential expires in 3 days" "$ALL" "" --check
run "the shared credential expires in 3 days" "$ALL" ""
requests --writes 2
expect "the hosts share a new credential" not same_credential "$shared"
expect "the hosts share one key and certificate" same_key
for host in "${HOSTS[@]}"; do expect "the handler ran for $host" handler_ran "$host"; done
check present
run "after the renewal" "" "$ALL"

run "check mode, revoke" "$ALL" "" --check -e okms_client_state=absent
requests --writes 0
run "revoke" "$ALL" "" -e okms_client_state=absent
requests --writes 1
check absent
run "check mode, revoked" "" "$ALL" --check -e okms_client_state=absent
run "revoke again" "" "$ALL" -e okms_client_state=absent
requests --writes 0

#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The shipped playbooks okms.access.provision, okms.access.rotate and okms.access.revoke on three local hosts, as a
# user runs them: settings in a vars file, the API in okms_client_api (provision, rotate) or in the OVH_* variables
# with the emulator's CA in REQUESTS_CA_BUNDLE (revoke). Four-step pattern for provision and revoke; rotate replaces
# every credential. Kept short (10 playbook runs and 2 checks): the roles' own targets test the rest, on every
# ansible-core of the matrix too.

source ../role_client_common/lib.sh
setup csr
VARS=(-e "@$PWD/vars.yml")

SITE=okms.access.provision run "provision, check mode" "$ALL" "" --check "${VARS[@]}"
requests --writes 0
SITE=okms.access.provision run "provision" "$ALL" "" "${VARS[@]}"
requests --writes 3 --list-pages 1 --mtls 3
check present
SITE=okms.access.provision run "provision again, check mode" "" "$ALL" --check "${VARS[@]}"
SITE=okms.access.provision run "provision again" "" "$ALL" "${VARS[@]}"
requests --writes 0 --list-pages 0

before=$(serial "${HOSTS[0]}")
SITE=okms.access.rotate run "rotate" "$ALL" "" "${VARS[@]}"
# A new credential per host, then the old ones deleted.
requests --writes 6
expect "${HOSTS[0]} has a new credential" test "$(serial "${HOSTS[0]}")" != "$before"

config() { "$PYTHON" -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["okms_emulator"][sys.argv[2]])' "$CONFIG" "$1"; }
OVH_ENDPOINT=$(config api_url)
OVH_APPLICATION_KEY=$(config application_key)
OVH_APPLICATION_SECRET=$(config application_secret)
OVH_CONSUMER_KEY=$(config consumer_key)
REQUESTS_CA_BUNDLE=$(config ca_file)
export OVH_ENDPOINT OVH_APPLICATION_KEY OVH_APPLICATION_SECRET OVH_CONSUMER_KEY REQUESTS_CA_BUNDLE
ENV_VARS=("${VARS[@]}" -e '{"okms_client_api": {}}')

SITE=okms.access.revoke run "revoke, check mode" "$ALL" "" --check "${ENV_VARS[@]}"
requests --writes 0
SITE=okms.access.revoke run "revoke" "$ALL" "" "${ENV_VARS[@]}"
requests --writes 3
check absent
SITE=okms.access.revoke run "revoke again, check mode" "" "$ALL" --check "${ENV_VARS[@]}"
SITE=okms.access.revoke run "revoke again" "" "$ALL" "${ENV_VARS[@]}"
requests --writes 0

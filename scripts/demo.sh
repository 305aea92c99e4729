#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The demo of okms.access (`make demo`): the playbook okms.access.provision gives three hosts access to a KMS domain of
# the bundled OKMS emulator, then runs again and changes nothing.
#
# The hosts are local (ansible_connection=local), each with its own root directory under build/demo/hosts/, so that the
# paths, modes and owners printed are those of real files. The API credentials reach the collection the way they reach
# it in production: OVH_* environment variables (the emulator's CA through REQUESTS_CA_BUNDLE). No secret is printed.
set -euo pipefail

cd "$(dirname "$0")/.."
REPO=$PWD
VENV=$REPO/.venv
DEMO=$REPO/build/demo
HOSTS=(web-1 web-2 web-3)

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }

step "Setting up $VENV (Python 3.11 and the pinned tools of tests/requirements-dev.txt)"
if [[ ! -f $VENV/.dev-requirements-installed ]]; then
    if command -v make >/dev/null; then
        make --no-print-directory venv
    else
        python3 -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r tests/requirements-dev.txt
        touch "$VENV/.dev-requirements-installed"
    fi
fi
PYTHON=$VENV/bin/python
echo "ready: $("$VENV/bin/ansible-playbook" --version | head -1)"

step "Copying the collection to build/ansible_collections/okms/access"
"$PYTHON" -c 'import sys; sys.path.insert(0, "scripts"); from pathlib import Path; from harness import sync_collection; sync_collection(Path("build"))'
export ANSIBLE_COLLECTIONS_PATH=$REPO/build

step "Starting the OKMS emulator (state in build/demo/emulator)"
rm -rf "$DEMO"
mkdir -p "$DEMO"
PYTHONPATH=$REPO/tests/emulator "$PYTHON" -m okms_emulator --state-dir "$DEMO/emulator" >"$DEMO/emulator.log" 2>&1 &
EMULATOR_PID=$!
stop_emulator() {
    if kill -0 "$EMULATOR_PID" 2>/dev/null; then
        kill -TERM "$EMULATOR_PID"
        wait "$EMULATOR_PID" 2>/dev/null || true
        echo "emulator stopped"
    fi
}
trap stop_emulator EXIT
for _ in $(seq 600); do
    [[ -f $DEMO/emulator/emulator.json ]] && break
    kill -0 "$EMULATOR_PID" 2>/dev/null || die "the emulator exited; see $DEMO/emulator.log"
    sleep 0.1
done
[[ -f $DEMO/emulator/emulator.json ]] || die "the emulator was not ready after 60 s; see $DEMO/emulator.log"
info() { "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$DEMO/emulator/emulator.json" "$1"; }
OKMS_ID=$(info okms_id)
echo "OVH API:     $(info api_url)"
echo "KMS domain:  $OKMS_ID, REST endpoint $(info rest_url)"

# The collection reads the OVH_* variables as python-ovh does; requests takes the emulator's CA from REQUESTS_CA_BUNDLE.
OVH_ENDPOINT=$(info api_url)
OVH_APPLICATION_KEY=$(info application_key)
OVH_APPLICATION_SECRET=$(info application_secret)
OVH_CONSUMER_KEY=$(info consumer_key)
REQUESTS_CA_BUNDLE=$(info ca_file)
export OVH_ENDPOINT OVH_APPLICATION_KEY OVH_APPLICATION_SECRET OVH_CONSUMER_KEY REQUESTS_CA_BUNDLE

admin() {  # admin METHOD PATH: the emulator's request counters (loopback only)
    "$PYTHON" - "$1" "$(info admin_url)$2" "$REQUESTS_CA_BUNDLE" <<'EOF'
import json, ssl, sys, urllib.request
method, url, ca = sys.argv[1:]
with urllib.request.urlopen(urllib.request.Request(url, method=method), context=ssl.create_default_context(cafile=ca)) as answer:
    data = json.load(answer)
if method == "GET":
    for route, count in sorted(data["by_route"].items()):
        print("    %3d  %s" % (count, route))
EOF
}

step "Writing a demo inventory of ${#HOSTS[@]} local hosts, each with its own root directory"
{
    echo "all:"
    echo "  vars:"
    echo "    ansible_connection: local"
    echo "    ansible_python_interpreter: $PYTHON"
    echo "    okms_client_okms_id: $OKMS_ID"
    echo "    okms_client_identity_urns: [\"urn:v1:eu:identity:account:$(info nichandle)\"]"
    echo "    okms_client_description: okms.access demo"
    echo "    okms_client_okms_cli_config: true"
    echo "  hosts:"
    for host in "${HOSTS[@]}"; do
        mkdir -p "$DEMO/hosts/$host/etc"
        echo "    $host:"
        echo "      okms_client_dir: $DEMO/hosts/$host/etc/okms"
    done
} >"$DEMO/inventory.yml"
sed 's/^/    /' "$DEMO/inventory.yml"

run_provision() {  # run_provision LOG: the playbook as a user runs it, its output shown and kept in LOG
    admin POST /requests/reset >/dev/null
    echo "\$ ansible-playbook okms.access.provision -i build/demo/inventory.yml"
    ANSIBLE_DISPLAY_SKIPPED_HOSTS=false ANSIBLE_NOCOLOR=1 \
        "$VENV/bin/ansible-playbook" okms.access.provision -i "$DEMO/inventory.yml" 2>&1 | tee "$1"
    [[ ${PIPESTATUS[0]} -eq 0 ]] || die "the playbook failed"
}

step "First run: every host gets a key, a certificate and the domain's CA (csr mode: keys are made on the hosts)"
run_provision "$DEMO/first-run.log"
echo "API requests of the first run (emulator counters):"
admin GET /requests

step "What each host holds (read from disk; the credential id is the certificate's serial number)"
"$PYTHON" - "$DEMO/hosts" "${HOSTS[@]}" <<'EOF'
import os, pwd, stat, sys, uuid
from cryptography import x509
root, hosts = sys.argv[1], sys.argv[2:]
for host in hosts:
    directory = os.path.join(root, host, "etc", "okms")
    print("%s:" % host)
    for path in [directory] + sorted(os.path.join(directory, name) for name in os.listdir(directory)):
        info = os.stat(path)
        print("    %s %04o %-8s %5d  %s" % (stat.filemode(info.st_mode), stat.S_IMODE(info.st_mode),
                                          pwd.getpwuid(info.st_uid).pw_name, info.st_size, os.path.relpath(path, root)))
    with open(os.path.join(directory, "client.cert"), "rb") as handle:
        certificate = x509.load_pem_x509_certificate(handle.read())
    print("    credential %s, expires %s" % (uuid.UUID(int=certificate.serial_number),
                                          certificate.not_valid_after_utc.strftime("%Y-%m-%d %H:%M UTC")))
EOF

step "Second run: nothing to do"
run_provision "$DEMO/second-run.log"
echo "API requests of the second run (emulator counters): no write, one GET by id per host, one domain read"
admin GET /requests
recap=$(sed -n '/^PLAY RECAP/,$p' "$DEMO/second-run.log" | grep -E '^\S+ +: ok=')
if grep -qv 'changed=0 ' <<<"$recap"; then
    die "the second run changed something"
fi
echo "second run: changed=0 on all ${#HOSTS[@]} hosts"

step "The mutual TLS check of each host"
echo "The role's check, made by each host with its own files (second run):"
grep -A${#HOSTS[@]} 'random byte' "$DEMO/second-run.log" | grep -E '^(ok|changed|failed|fatal)' | sed 's/^/    /'
echo "The same request made here with the files of each host (Python requests, independent of Ansible):"
"$PYTHON" - "$DEMO/hosts" "$(info rest_url)" "$OKMS_ID" "${HOSTS[@]}" <<'EOF'
import base64, os, sys
import requests
root, rest_url, okms_id, hosts = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
for host in hosts:
    directory = os.path.join(root, host, "etc", "okms")
    answer = requests.get("%s/api/%s/v1/random" % (rest_url, okms_id), params={"length": 16}, timeout=30,
                          cert=(os.path.join(directory, "client.cert"), os.path.join(directory, "domain.key")),
                          verify=os.path.join(directory, "ca.pem"))
    answer.raise_for_status()
    print("    %s: HTTP %d, %d random bytes from the KMS domain" % (host, answer.status_code, len(base64.b64decode(answer.json()["bytes"]))))
EOF

step "Done: the hosts' files are in build/demo/hosts/, the runs' output in build/demo/*.log"

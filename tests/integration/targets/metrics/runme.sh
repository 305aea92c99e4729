#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# okms_client_metrics_file on three hosts, read by a real node_exporter (Debian's prometheus-node-exporter, textfile
# collector only, on a loopback port) and checked by promtool (Debian's prometheus): the four-step pattern (check mode
# writes no file, the file never counts as a change), the expiry equals the certificate's notAfter, the credential id
# label follows a renewal, a failed access check sets ready False and keeps the last success. Both tools are installed
# with apt-get when missing (the target is destructive for that reason).

source ../role_client_common/lib.sh
H1=${HOSTS[0]} H2=${HOSTS[1]} H3=${HOSTS[2]}

if ! command -v prometheus-node-exporter >/dev/null || ! command -v promtool >/dev/null; then
    step "install prometheus-node-exporter and prometheus (promtool)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus-node-exporter prometheus >/dev/null
fi

TEXTFILES=$WORK/textfile
mkdir -p "$TEXTFILES"
setup per_host "okms_client_metrics_file=\"$TEXTFILES/{{ inventory_hostname }}.prom\""

PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
prometheus-node-exporter --web.listen-address="127.0.0.1:$PORT" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$TEXTFILES" >"$WORK/node-exporter.log" 2>&1 &
EXPORTER=$!
trap 'kill "$EXPORTER" 2>/dev/null || true; cleanup' EXIT

scrape() {  # the okms_ lines that node_exporter serves now, in $WORK/scraped.prom, checked by promtool
    "$PYTHON" - "$PORT" "$WORK/scraped.prom" <<'PY'
import sys, time, urllib.request
deadline = time.monotonic() + 10
while True:
    try:
        text = urllib.request.urlopen('http://127.0.0.1:%s/metrics' % sys.argv[1], timeout=5).read().decode()
        break
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.1)  # node_exporter is still starting: it has not bound its port yet
if 'node_textfile_scrape_error 0' not in text:
    sys.exit('node_exporter could not read the text files: %s' % [line for line in text.splitlines() if 'textfile' in line])
open(sys.argv[2], 'w').write(''.join(line + '\n' for line in text.splitlines() if 'okms_' in line))
PY
    expect "promtool accepts what node_exporter serves" promtool check metrics <"$WORK/scraped.prom"
}

value() {  # value METRIC HOST [CONDITION]: the scraped sample of HOST
    "$PYTHON" - "$WORK/scraped.prom" "$@" <<'PY'
import re, sys
path, metric, host = sys.argv[1:4]
condition = sys.argv[4] if len(sys.argv) > 4 else None
for line in open(path):
    if line.startswith(metric + '{') and 'name="%s"' % host in line and (condition is None or 'condition="%s"' % condition in line):
        print(line.rsplit(' ', 1)[1].strip())
        break
PY
}

not_after() {  # notAfter of HOST's certificate, as a Unix time
    "$PYTHON" -c 'import sys; from cryptography import x509; c = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read()); print(int(c.not_valid_after_utc.timestamp()))' \
        "$WORK/hosts/$1/etc/okms/client.cert"
}

run "check mode, nothing yet" "$ALL" "" --check
expect "check mode wrote no text file" test -z "$(ls "$TEXTFILES")"
run "first run" "$ALL" ""
run "check mode, all in place" "" "$ALL" --check
run "second run: the text file is no change" "" "$ALL"
expect "each host's text file is 0644" test "$(stat -c %a "$TEXTFILES/$H1.prom")" = 644
scrape
for host in "${HOSTS[@]}"; do
    expect "$host: the expiry is the certificate's notAfter" test "$(value okms_certificate_expiration_timestamp_seconds "$host")" = "$(not_after "$host")"
    expect "$host: ready" test "$(value okms_certificate_ready_status "$host" True)" = 1
    expect "$host: the access check passed" test "$(value okms_client_access_check_success "$host")" = 1
    expect "$host: the credential id is a label" grep -q "okms_certificate_expiration_timestamp_seconds{credential_id=\"$(serial "$host")\",name=\"$host\"" "$WORK/scraped.prom"
done
success=$(value okms_client_last_success_timestamp_seconds "$H2")

old=$(serial "$H3")
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" expire "$old" 5
run "$H3 expires in 5 days" "$H3" "$H1,$H2"
scrape
expect "$H3: the credential id label follows the renewal" grep -q "okms_certificate_expiration_timestamp_seconds{credential_id=\"$(serial "$H3")\",name=\"$H3\"" "$WORK/scraped.prom"
expect "$H3: the renewal time is 30 days before the expiry" test "$(value okms_certificate_renewal_timestamp_seconds "$H3")" = "$(( $(not_after "$H3") - 30 * 86400 ))"

step "$H2's access check fails"
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" fault 'GET /api/{okmsId}/v1/random' 401
if playbook site.yml --limit "$H2"; then echo "FAILED: the run passed with a refused access check" >&2; exit 1; fi
scrape
expect "$H2: ready False" test "$(value okms_certificate_ready_status "$H2" False)" = 1
expect "$H2: the access check failed" test "$(value okms_client_access_check_success "$H2")" = 0
expect "$H2: the last success is kept" test "$(value okms_client_last_success_timestamp_seconds "$H2")" = "$success"

#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The playbook okms.access.audit on three provisioned hosts with planted problems (plant.yml): two orphans, an EXPIRED
# credential, one in ERROR, a duplicate stuck in CREATING, a host without a credential whose files hold another one.
# Each is found exactly (report.json); the fleet's text file passes promtool when it is there; prune in check mode
# deletes nothing; prune deletes the orphans only, never the credential a host holds.

source ../role_client_common/lib.sh
H1=${HOSTS[0]} H2=${HOSTS[1]}
setup per_host "${INVENTORY_ROLE_VARS[@]}"
run "provision" "$ALL" ""
h1=$(serial "$H1") h2=$(serial "$H2")

step "plant"
ansible-playbook plant.yml -e "@$CONFIG" -e "okms_test_work=$WORK" "${VERBOSITY[@]}" >"$WORK/plant.log" 2>&1 || {
    cat "$WORK/plant.log"; echo "FAILED: plant" >&2; exit 1; }
planted() { "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$WORK/planted.json" "$1"; }
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" status "$(planted error)" ERROR
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" status "$(planted duplicate)" CREATING
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" status "$h1" EXPIRED

audit() {  # audit "WHAT" [ARGS...]: okms.access.audit, its JSON report in $WORK/report.json
    step "$1"
    rm -f "$WORK/report.json"
    ansible-playbook -i "$WORK/inventory.yml" okms.access.audit -e "@$CONFIG" -e okms_audit_name_pattern=^audit_ \
        -e okms_audit_creating_timeout=0 -e "okms_audit_report=$WORK/report.json" "${VERBOSITY[@]}" "${@:2}" 2>&1 | tee "$LOG"
    [[ ${PIPESTATUS[0]} == 0 ]] || { echo "FAILED: $1" >&2; exit 1; }
}

# report EXPECTED_JSON: the report's findings (ids or hosts, as sets) and pruned ids are exactly those given.
report() {
    "$PYTHON" - "$WORK/report.json" "$WORK/planted.json" "$1" <<'PY'
import json, sys
report, planted, expected = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), json.loads(sys.argv[3])
def ids(value):
    return sorted(planted.get(item, item) for item in value)
found = dict((kind, sorted(row.get('host') or row.get('id') or row['name'] for row in rows)) for kind, rows in report['findings'].items())
found['duplicates'] = sorted((row['name'], tuple(sorted(row['ids']))) for row in report['findings']['duplicates'])
found['pruned'] = sorted(report['pruned'])
wanted = dict((kind, ids(value)) for kind, value in expected.items() if kind != 'duplicates')
if 'duplicates' in expected:
    wanted['duplicates'] = sorted((name, tuple(ids(value))) for name, value in expected['duplicates'].items())
problems = ['%s: found %s, expected %s' % (kind, found.get(kind), value) for kind, value in wanted.items() if found.get(kind) != value]
print('\n'.join('FAILED: ' + problem for problem in problems) or 'ok: the report holds exactly what was planted')
sys.exit(1 if problems else 0)
PY
}

promtool_check() {  # the fleet's file passes promtool (when the metrics target installed it; that target needs it)
    if command -v promtool >/dev/null; then
        expect "promtool accepts the fleet's text file" promtool check metrics <"$WORK/fleet.prom"
    fi
}

audit "audit" -e "okms_audit_metrics_file=$WORK/fleet.prom"
report '{"orphans": ["gone", "error"], "expired": ["'"$h1"'"], "error": ["error"], "stuck_creating": ["duplicate"],
         "duplicates": {"audit_2": ["'"$h2"'", "duplicate"]}, "without_credential": ["audit_3"], "identity_drift": [],
         "expiring": [], "pruned": []}'
expect "the table shows the orphans" grep -q "orphans: 2" "$LOG"
expect "the fleet's text file counts them" grep -q 'okms_fleet_findings{kind="orphans",okms_id="[^"]*"} 2' "$WORK/fleet.prom"
promtool_check

audit "prune, check mode (no report file: check mode writes nothing)" -e okms_audit_prune=true --check
expect "check mode names the orphans" grep -q "pruned: 2 orphans would be deleted (check mode)" "$LOG"
audit "prune" -e okms_audit_prune=true
# Both orphans were still there to delete: check mode deleted nothing.
report '{"orphans": ["gone", "error"], "pruned": ["gone", "error"]}'
audit "after the prune"
report '{"orphans": [], "error": [], "pruned": [], "expired": ["'"$h1"'"], "without_credential": ["audit_3"]}'
expect "audit_moved, which audit_3 holds, was kept" "$PYTHON" "$COMMON/role_test.py" "$CONFIG" status "$(planted moved)" READY

step "clean up"
"$PYTHON" "$COMMON/role_test.py" "$CONFIG" status "$(planted duplicate)" READY
run "revoke" "$ALL" "" -e okms_client_state=absent

#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# The fault matrix: okms_certificate under injected faults (lost, slow, refused and throttled calls, stuck or failed
# issuance, a skewed server clock, an expiring OAuth2 token, concurrent runs). Every row ends with a census through
# the API and the disk (census.py); the table of outcomes and counts is printed at the end.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
config="$here/../../integration_config.yml"
if [ ! -f "$config" ]; then
    echo "runme.sh: $config is missing; the pipeline writes it from the emulator's emulator.json" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
table="$work/table.md"
printf '| row | outcome | keys nowhere | duplicate names | others deleted | mismatched pairs | exposed keys |\n|---|---|---|---|---|---|---|\n' > "$table"

export ANSIBLE_ROLES_PATH="$here/.."
python="${ANSIBLE_TEST_PYTHON_INTERPRETER:-python}"

play() {
    ansible-playbook -i "$INVENTORY_PATH" -e "@$config" -e "okms_faults_table=$table" -e "okms_faults_census=$here/census.py" -e "okms_faults_config=$config" "$@"
}

# The rows that run one after the other, each with its census, in one playbook.
play "$here/faults.yml" "$@"

# Two runs for one name at once, with the same files and with different files: started together, no pause.
for paths in same different; do
    mkdir -p "$work/$paths"
    play "$here/concurrent.yml" -e "okms_faults_dir=$work/$paths" -e okms_faults_paths=$paths -e okms_faults_who=a "$@" > "$work/$paths-a.log" 2>&1 &
    first=$!
    play "$here/concurrent.yml" -e "okms_faults_dir=$work/$paths" -e okms_faults_paths=$paths -e okms_faults_who=b "$@" > "$work/$paths-b.log" 2>&1 &
    second=$!
    wait "$first" || true
    wait "$second" || true
    cat "$work/$paths-a.log" "$work/$paths-b.log"
    outcome=$("$python" "$here/outcome.py" "$paths" "$work/$paths/result-a.json" "$work/$paths/result-b.json") || failed=yes
    echo "concurrent, $paths paths: $outcome"
    "$python" "$here/census.py" "$config" "$table" "concurrent, $paths paths" "$outcome" \
        "okms_certificate_faults/concurrent-$paths" "$work/$paths" || failed=yes
done
# A private key returned without no_log draws a warning. That run's output holds the key: it stays in a file that is
# never shown, and is removed with the work directory.
if play "$here/warn.yml" "$@" > "$work/warn.log" 2>&1; then
    echo "warn.yml: the warning about a returned private key without no_log is given"
else
    echo "runme.sh: warn.yml failed (its output holds a private key and is not shown)" >&2
    failed=yes
fi

play "$here/cleanup.yml" "$@"

echo "Fault matrix (okms_certificate_faults):"
cat "$table"
if [ "${failed:-no}" = yes ]; then
    echo "runme.sh: a row did not end as expected (see above)" >&2
    exit 1
fi

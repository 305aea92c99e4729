#!/usr/bin/env bash
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# Every way to give the modules their API configuration, each in its own ansible-playbook run so that the
# environment and the working directory are those of a user's controller: module options (application key and
# OAuth2), OVH_* environment variables (both methods), ~/.ovh.conf, ./ovh.conf, their precedence, and the errors.
#
# No `set -x`: the environment variables set below hold secrets that must never reach the output. They are
# exported here rather than with the `environment` keyword, which ansible-playbook -vvv prints.

set -eu

here=$(cd "$(dirname "$0")" && pwd)
config="$here/../../integration_config.yml"
if [ ! -f "$config" ]; then
    echo "runme.sh: $config is missing; the pipeline writes it from the emulator's emulator.json" >&2
    exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/home" "$work/cwd" "$work/empty"

export ANSIBLE_ROLES_PATH="$here/.."

playbook="$here/auth.yml"
play() {
    ansible-playbook -i "$INVENTORY_PATH" -e "@$config" -e "okms_auth_dir=$work" "$playbook" "$@"
}

# Module options; also writes the environment files and ovh.conf files that the next runs use.
play -e okms_auth_tasks=options.yml "$@"

for method in application_key oauth2; do
    (
        set -a
        # shellcheck disable=SC1090
        . "$work/$method.env"
        set +a
        play -e okms_auth_tasks=environment.yml -e "okms_auth_method=$method" "$@"
    )
done

play -e okms_auth_tasks=home_ovh_conf.yml "$@"

# With a local connection Ansible runs modules in the playbook's directory: that is where ./ovh.conf is read.
cp "$here/auth.yml" "$work/cwd/auth.yml"
playbook="$work/cwd/auth.yml" play -e okms_auth_tasks=cwd_ovh_conf.yml "$@"

(
    set -a
    # shellcheck disable=SC1090
    . "$work/precedence.env"
    set +a
    play -e okms_auth_tasks=precedence.yml "$@"
)

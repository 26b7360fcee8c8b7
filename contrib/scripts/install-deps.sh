#!/usr/bin/env bash
# Install every Debian 12 package that building, testing and the demo need.
# Run as root.  Non-interactive (fine with CI=true and no stdin).  When all
# packages are already installed it does nothing, so reruns take a second.
#
# The servers the tests and the demo use (Prosody, ngircd, Kannel, biboumi...)
# are always run from our own generated configs on 127.0.0.1, never as system
# services: so we keep apt from starting them, and stop any it started anyway.
set -euo pipefail

# shellcheck source=contrib/scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PACKAGES=(
	# build
	meson ninja-build pkg-config gcc
	libglib2.0-dev libstrophe-dev libsqlite3-dev libssl-dev libpurple-dev libsoup-3.0-dev
	# NSS's headers: the worker reads ssl-nss's certificates (pg-purple-capool.c)
	libnss3-dev
	# the fuzzing build (contrib/scripts/fuzz.sh): clang with libFuzzer
	clang libclang-rt-14-dev
	# third-party libpurple protocol plugins whose registration forms the
	# integration tests check (tests/integration/test_purple_forms.py)
	pidgin-sipe purple-discord purple-rocketchat
	# servers driven by the integration tests and the demo
	prosody lua-unbound ngircd kannel kannel-extras biboumi inspircd atheme-services ejabberd
	# mod_privilege (XEP-0356) for the roster ladder's first rung
	# (tests/integration/test_jabber_roster_ladder.py)
	prosody-modules
	# test client and runner
	python3 python3-slixmpp python3-pytest python3-pytest-xdist python3-gi gir1.2-glib-2.0
	# tools used by the scripts and the tests
	openssl curl sqlite3 valgrind procps ca-certificates
)

# System services some of those packages install (init script names).
SERVICES=(prosody ngircd kannel biboumi inspircd atheme-services ejabberd)

pg_install_missing() {
	local missing=() p status
	declare -A installed=()
	# one dpkg-query for all (one per package took 5-25 s on a loaded box);
	# a package dpkg does not know is left out of its output: missing
	while read -r p status; do
		if [[ "$status" == "installed" ]]; then
			installed[$p]=1
		fi
	done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null)
	for p in "${PACKAGES[@]}"; do
		[[ -n "${installed[$p]:-}" ]] || missing+=("$p")
	done
	if ((${#missing[@]} == 0)); then
		pg_log "all ${#PACKAGES[@]} packages already installed"
		return 1
	fi
	[[ "$(id -u)" == 0 ]] || pg_die "missing packages (${missing[*]}); run this script as root"

	pg_log "installing: ${missing[*]}"
	# Keep maintainer scripts from starting services (Debian's policy-rc.d
	# protocol: exit 101 = action forbidden).  Only if the admin has none.
	local policy=/usr/sbin/policy-rc.d created_policy=0
	if [[ ! -e "$policy" ]]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod 755 "$policy"
		created_policy=1
	fi
	local rc=0
	{
		DEBIAN_FRONTEND=noninteractive apt-get update -q &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
				-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
				"${PACKAGES[@]}"
	} </dev/null || rc=$?
	((created_policy)) && rm -f "$policy"
	((rc == 0)) || pg_die "apt-get failed (exit $rc)"
	return 0
}

# Stop a system service that apt may have started, so it holds no port.  There
# may be no systemd (containers): try `service`, then the service's pidfile.
pg_stop_service() {
	local name="$1" pidfile pid
	if command -v service >/dev/null 2>&1 && [[ -e "/etc/init.d/$name" ]]; then
		service "$name" stop </dev/null >/dev/null 2>&1 || true
	fi
	for pidfile in "/run/$name/$name.pid" "/run/$name.pid" /run/kannel/kannel_*.pid; do
		[[ -f "$pidfile" ]] || continue
		case "$pidfile" in /run/kannel/*) [[ "$name" == kannel ]] || continue ;; esac
		pid="$(tr -dc '0-9' <"$pidfile")"
		[[ -n "$pid" ]] && pg_stop_pid "$pid" "" 10
	done
	return 0
}

if pg_install_missing; then
	for service_name in "${SERVICES[@]}"; do
		pg_stop_service "$service_name"
	done
fi

# slixmpp is installed for Debian's python only; a pyenv/venv python first on
# PATH cannot import it, so everything calls /usr/bin/python3 explicitly.
/usr/bin/python3 -c 'import slixmpp, pytest' 2>/dev/null ||
	pg_die "/usr/bin/python3 cannot import slixmpp and pytest: $(/usr/bin/python3 -c 'import slixmpp, pytest' 2>&1 | tail -n 1)"

# shellcheck shell=bash
# Shared helpers for contrib/scripts/*.sh.  Source it; it defines functions only.
#
# Readiness is always "poll a condition every 100 ms until a deadline, then fail
# with the log tail": never a bare sleep as synchronisation.

PG_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PG_REPO_ROOT

# pg_log MESSAGE: "==> HH:MM:SS +Ns MESSAGE" on stderr (UTC; N: seconds since
# the first script of this run started: PG_LOG_START is exported, so the
# scripts test.sh calls count from its start), so a CI log shows where the
# time went.
if [[ -z "${PG_LOG_START:-}" ]]; then
	printf -v PG_LOG_START '%(%s)T' -1
	export PG_LOG_START
fi
pg_log() {
	local now
	printf -v now '%(%s)T' -1
	printf '==> %(%H:%M:%S)T +%ss %s\n' "$now" "$((now - PG_LOG_START))" "$*" >&2
}

pg_die() {
	printf 'error: %s\n' "$*" >&2
	exit 1
}

# pg_secret: print a fresh random hex secret (128 bits).
pg_secret() {
	openssl rand -hex 16
}

# pg_port_open HOST PORT: true if a TCP connect succeeds.
pg_port_open() {
	(exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# pg_wait_port HOST PORT SECONDS [PID] [LOGFILE]
# Wait until HOST:PORT accepts TCP.  Fails early if PID dies; on failure prints
# the tail of LOGFILE.
pg_wait_port() {
	local host="$1" port="$2" seconds="$3" pid="${4:-}" logfile="${5:-}"
	local tries=$((seconds * 10)) i
	for ((i = 0; i < tries; i++)); do
		if pg_port_open "$host" "$port"; then
			return 0
		fi
		if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
			printf 'error: process %s exited before %s:%s accepted connections\n' \
				"$pid" "$host" "$port" >&2
			[[ -n "$logfile" && -f "$logfile" ]] && tail -n 30 "$logfile" >&2
			return 1
		fi
		sleep 0.1 # polling interval of a bounded wait, not synchronisation
	done
	printf 'error: %s:%s did not accept connections within %ss\n' "$host" "$port" "$seconds" >&2
	[[ -n "$logfile" && -f "$logfile" ]] && tail -n 30 "$logfile" >&2
	return 1
}

# pg_proc_starttime PID: field 22 of /proc/PID/stat (start time in clock ticks),
# so a recorded PID is never confused with a later process that reused it.
pg_proc_starttime() {
	local stat
	stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
	# The command name (field 2) may hold spaces: cut after the last ')'.
	stat="${stat##*) }"
	# shellcheck disable=SC2086
	set -- $stat
	printf '%s\n' "${20}"
}

# pg_stop_pid PID [STARTTIME] [SECONDS]: TERM, bounded wait, then KILL.
pg_stop_pid() {
	local pid="$1" start="${2:-}" seconds="${3:-10}" i
	[[ -n "$pid" ]] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	if [[ -n "$start" && "$(pg_proc_starttime "$pid")" != "$start" ]]; then
		return 0 # the PID now belongs to someone else
	fi
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < seconds * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1 # polling interval of a bounded wait
	done
	pg_log "process $pid ignored SIGTERM for ${seconds}s; killing it"
	kill -KILL "$pid" 2>/dev/null || true
}

# pg_selfsigned_cert DIR DOMAIN: DIR/DOMAIN.crt + .key covering DOMAIN and *.DOMAIN.
pg_selfsigned_cert() {
	local dir="$1" domain="$2"
	mkdir -p "$dir"
	[[ -s "$dir/$domain.crt" && -s "$dir/$domain.key" ]] && return 0
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$domain" \
		-addext "subjectAltName=DNS:$domain,DNS:*.$domain" \
		-keyout "$dir/$domain.key" -out "$dir/$domain.crt" >/dev/null 2>&1 ||
		pg_die "openssl could not create a certificate for $domain in $dir"
	chmod 600 "$dir/$domain.key"
}

# pg_wait_until SECONDS PID LOGFILE WHAT -- COMMAND...
# Run COMMAND every 100 ms until it succeeds.  Fails early if PID (may be
# empty) dies; on failure prints WHAT and the tail of LOGFILE (may be empty).
pg_wait_until() {
	local seconds="$1" pid="$2" logfile="$3" what="$4" i
	shift 5 # the four arguments and "--"
	for ((i = 0; i < seconds * 10; i++)); do
		if "$@" >/dev/null 2>&1; then
			return 0
		fi
		if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
			printf 'error: process %s exited while waiting for %s\n' "$pid" "$what" >&2
			[[ -n "$logfile" && -f "$logfile" ]] && tail -n 30 "$logfile" >&2
			return 1
		fi
		sleep 0.1 # polling interval of a bounded wait, not synchronisation
	done
	printf 'error: %s: not within %ss\n' "$what" "$seconds" >&2
	[[ -n "$logfile" && -f "$logfile" ]] && tail -n 30 "$logfile" >&2
	return 1
}

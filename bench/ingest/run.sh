#!/usr/bin/env bash
# Sluice ingest benchmark: wrk on loopback against `sluice serve` (Release) and, as the ceiling,
# against Debian's nginx answering {"success":true}. See bench/README.md.
#
#   bench/ingest/run.sh
#
# Environment (defaults are for the real run):
#   WARMUP=90          seconds of /v1/track load on sluice before measuring (Kestrel and tiered JIT)
#   BATCH_WARMUP=      seconds of /v1/batch load on sluice before measuring (default WARMUP/3, at least 1)
#   NGINX_WARMUP=      seconds of load on nginx before measuring it (default min(WARMUP, 10))
#   DURATION=30        seconds of each measured wrk run
#   CONNECTIONS=64     wrk connections
#   THREADS=2          wrk threads
#   DURABILITY=full    sluice serve --durability (full | normal)
#   SKIP_BUILD=1       reuse bench/.build/sluice instead of running dotnet publish
#   KEEP_TMP=1         keep the temporary directory (data, logs, nginx config)
#
# Exit status: 0 when every request got a 200 {"success":true}; 3 when any did not (the report
# says so at the top); 1 when the run could not be completed.
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/../.." && pwd)"
WARMUP="${WARMUP:-90}"
DURATION="${DURATION:-30}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
DURABILITY="${DURABILITY:-full}"
BATCH_WARMUP="${BATCH_WARMUP:-$(( WARMUP / 3 > 0 ? WARMUP / 3 : 1 ))}"
NGINX_WARMUP="${NGINX_WARMUP:-$(( WARMUP < 10 ? WARMUP : 10 ))}"
WRITE_KEY="wk_bench"
EVENTS_PER_BATCH=100
BUILD_DIR="$REPO/bench/.build"
RESULTS_DIR="$REPO/bench/results"

die() { echo "run.sh: $*" >&2; exit 1; }

for v in WARMUP BATCH_WARMUP NGINX_WARMUP DURATION CONNECTIONS THREADS; do
    [[ "${!v}" =~ ^[0-9]+$ ]] || die "$v must be a whole number (got '${!v}')"
done
(( DURATION > 0 && CONNECTIONS > 0 && THREADS > 0 && CONNECTIONS >= THREADS )) \
    || die "DURATION, CONNECTIONS and THREADS must be positive, CONNECTIONS >= THREADS"
[[ "$DURABILITY" == full || "$DURABILITY" == normal ]] || die "DURABILITY must be full or normal"

# --- prerequisites: checked, never installed -----------------------------------------------
missing=()
for tool in wrk nginx curl dotnet; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if (( ${#missing[@]} > 0 )); then
    echo "run.sh: missing: ${missing[*]}" >&2
    for tool in "${missing[@]}"; do
        case "$tool" in
            wrk|nginx|curl) echo "  install with: sudo apt-get update && sudo apt-get install -y wrk nginx curl" >&2; break ;;
        esac
    done
    [[ " ${missing[*]} " == *" dotnet "* ]] && echo "  dotnet: install the .NET 10 SDK (https://dot.net)" >&2
    exit 1
fi

# --- processes and cleanup ------------------------------------------------------------------
TMP="$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench.XXXXXX")"
SLUICE_PID=""
NGINX_PID=""
WRK_PID=""

stop_pid() { # pid, name: TERM, wait up to 10 s, then KILL
    local pid="$1" name="$2" i
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    echo "run.sh: $name ($pid) did not stop on TERM; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
}

stop_nginx() {
    [[ -n "$NGINX_PID" ]] || return 0
    local workers
    workers="$(pgrep -P "$NGINX_PID" 2>/dev/null || true)"
    stop_pid "$NGINX_PID" nginx
    for w in $workers; do kill -KILL "$w" 2>/dev/null || true; done
    NGINX_PID=""
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    stop_pid "$WRK_PID" wrk
    stop_pid "$SLUICE_PID" sluice
    stop_nginx
    if [[ "${KEEP_TMP:-}" == 1 ]]; then
        echo "run.sh: kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    local port used
    used="$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)"
    for _ in $(seq 1 200); do
        port=$(( 20000 + RANDOM % 40000 ))
        grep -qx "$port" <<<"$used" || { echo "$port"; return 0; }
    done
    die "no free loopback port found"
}

wait_http() { # url, pid, name, log: up to 60 s
    local url="$1" pid="$2" name="$3" log="$4"
    for _ in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; die "$name exited during start-up (log above)"; }
        curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
        sleep 0.2
    done
    tail -n 30 "$log" >&2
    die "$name did not answer $url within 60 s"
}

# --- build ------------------------------------------------------------------------------------
SLUICE_BIN="$BUILD_DIR/sluice"
COMMANDS=()
if [[ "${SKIP_BUILD:-}" == 1 && -x "$SLUICE_BIN/sluice" ]]; then
    echo "== reusing $SLUICE_BIN (SKIP_BUILD=1)" >&2
else
    build_cmd=(dotnet publish "$REPO/src/Sluice/Sluice.csproj" -c Release -o "$SLUICE_BIN"
               --artifacts-path "$BUILD_DIR/artifacts" --nologo -v quiet)
    echo "== ${build_cmd[*]}" >&2
    "${build_cmd[@]}" >"$TMP/build.log" 2>&1 || { tail -n 40 "$TMP/build.log" >&2; die "dotnet publish failed"; }
fi
COMMANDS+=("dotnet publish src/Sluice/Sluice.csproj -c Release -o bench/.build/sluice --artifacts-path bench/.build/artifacts")
[[ -x "$SLUICE_BIN/sluice" ]] || die "$SLUICE_BIN/sluice is missing after the build"

# --- sluice -----------------------------------------------------------------------------------
RUN_ID="b$(date -u +%Y%m%d%H%M%S)-$$-$RANDOM"
AUTH="Authorization: Basic $(printf '%s:' "$WRITE_KEY" | base64)"
mkdir -p "$TMP/data"
cat >"$TMP/workspace.yaml" <<EOF
sources:
  - id: bench
    name: Ingest benchmark
    writeKey: $WRITE_KEY
EOF
SLUICE_PORT="$(free_port)"
SLUICE_URL="http://127.0.0.1:$SLUICE_PORT"
sluice_cmd=("$SLUICE_BIN/sluice" serve --config "$TMP/workspace.yaml" --data "$TMP/data"
            --urls "$SLUICE_URL" --durability "$DURABILITY")
echo "== ${sluice_cmd[*]}" >&2
"${sluice_cmd[@]}" >"$TMP/sluice.log" 2>&1 &
SLUICE_PID=$!
COMMANDS+=("bench/.build/sluice/sluice serve --config \$TMP/workspace.yaml --data \$TMP/data --urls $SLUICE_URL --durability $DURABILITY")
wait_http "$SLUICE_URL/health" "$SLUICE_PID" sluice "$TMP/sluice.log"

declare -A R          # R[<phase>.<key>] = value, from the BENCH lines of each wrk run
PHASES=()             # phases in run order
RAW=""                # raw wrk output, for the report's appendix
ANY_FAILED=0

# run_wrk phase seconds url script [target req/s: paced, see common.lua]
run_wrk() {
    local phase="$1" seconds="$2" url="$3" script="$4" rate="${5:-}" pace=""
    [[ -n "$rate" ]] && pace="$(awk -v c="$CONNECTIONS" -v t="$rate" 'BEGIN { printf "%.3f", c * 1000 / t }')"
    local out="$TMP/wrk-$phase.txt"
    local cmd=(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 10s --latency
               -H "$AUTH" -H "Content-Type: application/json" -s "$BENCH_DIR/$script" "$url" -- "$RUN_ID-$phase")
    local shown="wrk -t$THREADS -c$CONNECTIONS -d${seconds}s --timeout 10s --latency -H '$AUTH' -H 'Content-Type: application/json' -s bench/ingest/$script $url -- $RUN_ID-$phase"
    [[ -n "$rate" ]] && shown="SLUICE_BENCH_RATE=$rate SLUICE_BENCH_THREADS=$THREADS SLUICE_BENCH_PACE_MS=$pace $shown"
    echo "== [$phase] $shown" >&2
    COMMANDS+=("$shown")
    SLUICE_BENCH_RATE="$rate" SLUICE_BENCH_THREADS="$THREADS" SLUICE_BENCH_PACE_MS="$pace" timeout -k 5 $(( seconds + 60 )) "${cmd[@]}" >"$out" 2>&1 &
    WRK_PID=$!
    local rc=0
    wait "$WRK_PID" || rc=$?
    WRK_PID=""
    (( rc == 0 )) || { cat "$out" >&2; die "wrk ($phase) failed with status $rc"; }
    local key value
    while read -r _ key value; do R["$phase.$key"]="$value"; done < <(grep '^BENCH ' "$out")
    [[ -n "${R[$phase.requests]:-}" ]] || { cat "$out" >&2; die "wrk ($phase) printed no results"; }
    R["$phase.seconds"]="$(awk -v d="${R[$phase.duration_us]}" 'BEGIN { printf "%.3f", d / 1e6 }')"
    R["$phase.ok_rps"]="$(awk -v n="${R[$phase.ok]}" -v d="${R[$phase.duration_us]}" 'BEGIN { printf "%.0f", (d > 0 ? n * 1e6 / d : 0) }')"
    PHASES+=("$phase")
    RAW+=$'\n'"### $phase"$'\n\n'"\`\`\`"$'\n'"$shown"$'\n'"$(grep -v '^BENCH ' "$out")"$'\n'"\`\`\`"$'\n'
    local bad=$(( ${R[$phase.non200]} + ${R[$phase.bad_body]} + ${R[$phase.socket_errors]} ))
    if (( bad > 0 )); then
        ANY_FAILED=1
        echo "!! [$phase] ${R[$phase.non200]} non-200 (${R[$phase.statuses]}), ${R[$phase.bad_body]} 200s with rejected messages, ${R[$phase.socket_errors]} socket errors (${R[$phase.socket_detail]}); first: ${R[$phase.sample]}" >&2
    fi
    echo "   [$phase] ok ${R[$phase.ok_rps]} req/s, p50 ${R[$phase.p50_us]} us, p99 ${R[$phase.p99_us]} us" >&2
}

check_sluice() {
    kill -0 "$SLUICE_PID" 2>/dev/null || { tail -n 40 "$TMP/sluice.log" >&2; die "sluice died during the run (log above)"; }
}

(( WARMUP > 0 )) && { run_wrk warmup-track "$WARMUP" "$SLUICE_URL/v1/track" track.lua; check_sluice; }
(( BATCH_WARMUP > 0 )) && { run_wrk warmup-batch "$BATCH_WARMUP" "$SLUICE_URL/v1/batch" batch.lua; check_sluice; }
run_wrk track "$DURATION" "$SLUICE_URL/v1/track" track.lua; check_sluice
run_wrk batch "$DURATION" "$SLUICE_URL/v1/batch" batch.lua; check_sluice

# Half of the measured peak, paced by wrk's delay() hook (common.lua): on average each connection
# waits about CONNECTIONS*1000/target ms between requests.
HALF_TARGET="$(awk -v r="${R[track.ok_rps]}" 'BEGIN { printf "%.0f", r / 2 }')"
(( HALF_TARGET > 0 )) || die "the peak /v1/track rate is 0; nothing to halve"
PACE_MS="$(awk -v c="$CONNECTIONS" -v t="$HALF_TARGET" 'BEGIN { printf "%.3f", c * 1000 / t }')"
run_wrk half-track "$DURATION" "$SLUICE_URL/v1/track" track.lua "$HALF_TARGET"; check_sluice

HWM_KB="$(awk '/^VmHWM:/ { print $2 }' "/proc/$SLUICE_PID/status")"
RSS_KB="$(awk '/^VmRSS:/ { print $2 }' "/proc/$SLUICE_PID/status")"
METRICS="$(curl -fsS --max-time 5 "$SLUICE_URL/metrics" || true)"
metric_sum() { awk -v m="$1" '$1 ~ "^"m"(\\{|$)" { s += $2 } END { printf "%.0f", s }' <<<"$METRICS"; }
M_RECEIVED="$(metric_sum sluice_messages_received_total)"
M_ACCEPTED="$(metric_sum sluice_messages_accepted_total)"
M_DUPLICATES="$(metric_sum sluice_messages_duplicate_total)"
M_REJECTED="$(metric_sum sluice_messages_rejected_total)"
M_GROUPS="$(metric_sum sluice_commit_group_events_count)"
M_GROUP_EVENTS="$(metric_sum sluice_commit_group_events_sum)"
REJECT_REASONS="$(awk '$1 ~ /^sluice_messages_rejected_total\{/ && $2 > 0' <<<"$METRICS" | sed 's/^sluice_messages_rejected_total//' | paste -sd' ' -)"
stop_pid "$SLUICE_PID" sluice
SLUICE_PID=""
DATA_BYTES="$(du -sb "$TMP/data" | awk '{ print $1 }')"
SLUICE_LOG_PROBLEMS="$(grep -E '^[^ ]+ (warn|fail|crit): ' "$TMP/sluice.log" || true)"

# --- nginx, the ceiling ---------------------------------------------------------------------
NGINX_PORT="$(free_port)"
NGINX_URL="http://127.0.0.1:$NGINX_PORT"
mkdir -p "$TMP/nginx/logs" "$TMP/nginx/tmp"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $TMP/nginx/tmp/body;
    proxy_temp_path $TMP/nginx/tmp/proxy;
    fastcgi_temp_path $TMP/nginx/tmp/fastcgi;
    uwsgi_temp_path $TMP/nginx/tmp/uwsgi;
    scgi_temp_path $TMP/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        default_type application/json;
        location / { return 200 '{"success":true}'; }
    }
}
EOF
nginx_cmd=(nginx -p "$TMP/nginx" -e "$TMP/nginx/logs/error.log" -c "$TMP/nginx/nginx.conf" -g 'daemon off;')
echo "== ${nginx_cmd[*]}" >&2
"${nginx_cmd[@]}" >"$TMP/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
COMMANDS+=("nginx -p \$TMP/nginx -e \$TMP/nginx/logs/error.log -c \$TMP/nginx/nginx.conf -g 'daemon off;'   # worker_processes auto; return 200 '{\"success\":true}'")
wait_http "$NGINX_URL/" "$NGINX_PID" nginx "$TMP/nginx/logs/error.log"
(( NGINX_WARMUP > 0 )) && run_wrk warmup-nginx "$NGINX_WARMUP" "$NGINX_URL/v1/track" track.lua
run_wrk nginx "$DURATION" "$NGINX_URL/v1/track" track.lua
stop_nginx

# --- report -----------------------------------------------------------------------------------
num() { awk -v x="$1" 'BEGIN { s = sprintf("%.0f", x); out = ""; while (length(s) > 3) { out = "," substr(s, length(s) - 2) out; s = substr(s, 1, length(s) - 3) } printf "%s%s", s, out }'; }
ms() { awk -v x="$1" 'BEGIN { printf "%.2f ms", x / 1000 }'; }
met() { if [[ "$1" == 1 ]]; then echo "met"; else echo "**NOT MET**"; fi; }

TRACK_RPS="${R[track.ok_rps]}"
BATCH_EVENTS="$(( ${R[batch.ok_rps]} * EVENTS_PER_BATCH ))"
NGINX_RPS="${R[nginx.ok_rps]}"
RATIO="$(awk -v s="$TRACK_RPS" -v n="$NGINX_RPS" 'BEGIN { printf "%.2f", (n > 0 ? s / n : 0) }')"
HWM_MB="$(awk -v k="$HWM_KB" 'BEGIN { printf "%.1f", k / 1024 }')"
RSS_MB="$(awk -v k="$RSS_KB" 'BEGIN { printf "%.1f", k / 1024 }')"
HALF_ACHIEVED="${R[half-track.ok_rps]}"
HALF_PCT="$(awk -v a="$HALF_ACHIEVED" -v t="$HALF_TARGET" 'BEGIN { printf "%.0f", (t > 0 ? 100 * a / t : 0) }')"
OK_RATIO="$(awk -v r="$RATIO" 'BEGIN { print ((r >= 0.5) ? 1 : 0) }')"
OK_BATCH="$(( BATCH_EVENTS >= 150000 ? 1 : 0 ))"
OK_P99="$(( ${R[half-track.p99_us]} < 50000 ? 1 : 0 ))"
OK_RSS="$(awk -v m="$HWM_MB" 'BEGIN { print ((m < 250) ? 1 : 0) }')"
SENT_EVENTS=0
for p in "${PHASES[@]}"; do
    case "$p" in
        *batch) SENT_EVENTS=$(( SENT_EVENTS + ${R[$p.ok]} * EVENTS_PER_BATCH )) ;;
        *nginx) ;;
        *) SENT_EVENTS=$(( SENT_EVENTS + ${R[$p.ok]} )) ;;
    esac
done
BYTES_PER_EVENT="$(awk -v b="$DATA_BYTES" -v n="$M_ACCEPTED" 'BEGIN { printf "%.0f", (n > 0 ? b / n : 0) }')"
MEAN_GROUP="$(awk -v s="$M_GROUP_EVENTS" -v n="$M_GROUPS" 'BEGIN { printf "%.1f", (n > 0 ? s / n : 0) }')"

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
CPU_MODEL="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
MEM_GIB="$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo)"
COMMIT="$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)"
git -C "$REPO" diff --quiet HEAD -- src 2>/dev/null || COMMIT="$COMMIT (src has uncommitted changes)"

row() { # phase label rate
    local p="$1"
    local bad=$(( ${R[$p.non200]} + ${R[$p.bad_body]} + ${R[$p.socket_errors]} ))
    local errs="0"
    (( bad > 0 )) && errs="**${R[$p.non200]} non-200 (${R[$p.statuses]}), ${R[$p.bad_body]} partial, ${R[$p.socket_errors]} socket**"
    echo "| $2 | $3 | $(ms "${R[$p.p50_us]}") | $(ms "${R[$p.p99_us]}") | $(ms "${R[$p.max_us]}") | $errs |"
}

REPORT="$RESULTS_DIR/ingest-$STAMP.md"
mkdir -p "$RESULTS_DIR"
{
    echo "# Sluice ingest benchmark, $STAMP"
    echo
    if (( ANY_FAILED )); then
        echo "> **WARNING: SOME REQUESTS DID NOT GET 200 {\"success\":true} (see the Errors column). The figures below count only the 200 {\"success\":true} answers and are NOT a valid result.**"
        echo
    fi
    if (( DURATION < 20 || WARMUP < 60 )); then
        echo "> Note: short run (WARMUP=$WARMUP s, DURATION=$DURATION s): the figures are not representative; Kestrel needs 1–3 minutes of load to warm up."
        echo
    fi
    echo "| Machine | |"
    echo "|---|---|"
    echo "| CPU | $CPU_MODEL, nproc $(nproc) |"
    echo "| Memory | $MEM_GIB GiB |"
    echo "| OS | $(uname -sr) |"
    echo "| .NET SDK | $(dotnet --version 2>/dev/null || echo unknown) |"
    echo "| Load generator | $(wrk -v 2>&1 | head -n1 | awk '{ print $1, $2 }'), on the same machine, loopback |"
    echo "| Ceiling | $(nginx -v 2>&1 | sed 's/^nginx version: //'), worker_processes auto |"
    echo "| Sluice | $COMMIT, Release, --durability $DURABILITY |"
    echo "| Settings | CONNECTIONS=$CONNECTIONS THREADS=$THREADS WARMUP=$WARMUP BATCH_WARMUP=$BATCH_WARMUP NGINX_WARMUP=$NGINX_WARMUP DURATION=$DURATION |"
    echo
    echo "## Figures"
    echo
    echo "| Run ($CONNECTIONS connections, ${DURATION} s) | Rate (200 {\"success\":true} only) | p50 | p99 | max | Errors |"
    echo "|---|---|---|---|---|---|"
    row track "sluice /v1/track, peak" "$(num "$TRACK_RPS") req/s"
    row batch "sluice /v1/batch, $EVENTS_PER_BATCH events/request, peak" "$(num "$BATCH_EVENTS") events/s ($(num "${R[batch.ok_rps]}") req/s)"
    row half-track "sluice /v1/track, paced at half of peak (target $(num "$HALF_TARGET") req/s ≈ one request per $PACE_MS ms per connection; pacing: ${R[half-track.pacing]})" "$(num "$HALF_ACHIEVED") req/s ($HALF_PCT% of target)"
    row nginx "nginx return 200 (ceiling), same track requests" "$(num "$NGINX_RPS") req/s"
    echo
    echo "| Other figure | Value |"
    echo "|---|---|"
    echo "| Peak RSS of sluice (VmHWM at the end) | $HWM_MB MiB (VmRSS at the end: $RSS_MB MiB) |"
    echo "| sluice track / nginx | ${RATIO}× |"
    echo "| Events acknowledged (200s counted by wrk) / accepted by the server (also counts requests in flight when each wrk run stopped) / duplicates / rejected | $(num "$SENT_EVENTS") / $(num "$M_ACCEPTED") / $(num "$M_DUPLICATES") / $(num "$M_REJECTED")${REJECT_REASONS:+ ($REJECT_REASONS)} |"
    echo "| Mean events per group commit | $MEAN_GROUP ($(num "$M_GROUPS") commits) |"
    echo "| Data directory at the end | $(num "$DATA_BYTES") bytes, ~$BYTES_PER_EVENT bytes/event |"
    echo
    echo "## Targets"
    echo
    echo "| Target | Measured | Status |"
    echo "|---|---|---|"
    echo "| /v1/track ≥ 0.5× nginx | ${RATIO}× ($(num "$TRACK_RPS") / $(num "$NGINX_RPS") req/s) | $(met "$OK_RATIO") |"
    echo "| /v1/batch ≥ 150,000 events/s | $(num "$BATCH_EVENTS") events/s | $(met "$OK_BATCH") |"
    echo "| p99 < 50 ms at half rate | $(ms "${R[half-track.p99_us]}") at $(num "$HALF_ACHIEVED") req/s | $(met "$OK_P99") |"
    echo "| RSS < 250 MB | $HWM_MB MiB | $(met "$OK_RSS") |"
    echo
    if [[ -n "$SLUICE_LOG_PROBLEMS" ]]; then
        echo "## Server warnings and errors"
        echo
        echo "$(wc -l <<<"$SLUICE_LOG_PROBLEMS") warn/fail/crit lines in the sluice log; the first 10:"
        echo
        echo '```'
        head -n 10 <<<"$SLUICE_LOG_PROBLEMS"
        echo '```'
        echo
    fi
    echo "## Commands"
    echo
    echo "\`bench/ingest/run.sh\` with the settings above ran, in order (\$TMP is a fresh temporary directory; the workspace file declares source \`bench\` with write key \`$WRITE_KEY\`):"
    echo
    echo '```'
    printf '%s\n' "${COMMANDS[@]}"
    echo '```'
} >"$REPORT"
{
    echo
    echo "## Raw wrk output"
    echo "$RAW"
} >"$REPORT.raw"

cat "$REPORT"
cat "$REPORT.raw" >>"$REPORT"
rm -f "$REPORT.raw"
echo >&2
echo "Report written to ${REPORT#"$REPO"/} (with the raw wrk output appended)." >&2
if (( ANY_FAILED )); then
    echo "!! SOME REQUESTS DID NOT GET 200 {\"success\":true}: THIS RUN IS NOT A VALID RESULT (see the report)." >&2
    exit 3
fi

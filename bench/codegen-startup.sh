#!/usr/bin/env bash
# Measures Wolverine's two ways of running handler code, per service: pre-generated code loaded in TypeLoadMode.Static
# (what the services ship with) against Roslyn compiling it at start (TypeLoadMode.Dynamic with
# WolverineFx.RuntimeCompilation, built with -p:WolverineCodegen=Runtime). Each service runs alone as a Release build
# against a throwaway PostgreSQL cluster on loopback; for each start it records the time from exec to the first
# 200 from /health, then the time to the first answer of one of its Wolverine HTTP endpoints (where Dynamic mode
# compiles that endpoint's code; Sync has none, its Wolverine code only handles messages), and the process's CPU time
# and RSS after that.
#   bench/codegen-startup.sh [runs per service and variant, default 3]
# Prints a Markdown table of medians (and every sample above it). Needs the system's PostgreSQL binaries and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
services=(Services.Auth Services.Workspace Services.Sync)
# One anonymous request per service that runs Wolverine-generated endpoint code (an empty claim is refused with 400).
declare -A probe=(
  [Services.Auth]="GET /.well-known/jwks.json"
  [Services.Workspace]="POST /api/workspaces"
)
out=$(mktemp -d /tmp/syncengine-codegen.XXXXXX)
chmod 755 "$out" # the postgres account must reach its cluster below
pg_pid=""
service_pid=""
cleanup() {
  [ -n "$service_pid" ] && kill -TERM "$service_pid" 2>/dev/null && wait "$service_pid" 2>/dev/null
  [ -n "$pg_pid" ] && kill -TERM "$pg_pid" 2>/dev/null && wait "$pg_pid" 2>/dev/null
  rm -rf "$out"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

echo "building both variants (Release) in $out..." >&2
for variant in static runtime; do
  extra=()
  [ "$variant" = runtime ] && extra=(-p:WolverineCodegen=Runtime)
  for service in "${services[@]}"; do
    dotnet publish "src/$service" -c Release --artifacts-path "$out/$variant" -nologo -v q "${extra[@]}" >/dev/null
  done
done

# A throwaway cluster. PostgreSQL refuses to run as root: then run it as the postgres account.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pg_bin/postgres" ] || { echo "needs PostgreSQL binaries (apt-get install postgresql)" >&2; exit 1; }
as_pg=()
if [ "$(id -u)" = 0 ]; then as_pg=(setpriv --reuid=postgres --regid=postgres --init-groups --); fi
mkdir -p "$out/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$out/pg"
"${as_pg[@]}" "$pg_bin/initdb" -D "$out/pg" -U postgres --auth trust --no-locale -E UTF8 >/dev/null
pg_port=$(free_port)
"${as_pg[@]}" "$pg_bin/postgres" -D "$out/pg" -p "$pg_port" -c listen_addresses=127.0.0.1 -c unix_socket_directories= \
  -c max_connections=200 >"$out/pg.log" 2>&1 &
pg_pid=$!
for _ in $(seq 1 100); do "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" && break; sleep 0.1; done
"$pg_bin/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "create database syncengine" >/dev/null
connection="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=syncengine"

clock_ticks=$(getconf CLK_TCK)
# One start: prints "healthy_ms first_endpoint_ms cpu_ms rss_mb" (first_endpoint_ms is - without a probe).
measure() {
  local dll=$1 service=$2 port
  port=$(free_port)
  local started=$(date +%s%N)
  ASPNETCORE_URLS="http://127.0.0.1:$port" ASPNETCORE_ENVIRONMENT=Production ConnectionStrings__syncengine="$connection" \
    services__auth__http__0="http://127.0.0.1:1" OTEL_EXPORTER_OTLP_ENDPOINT= \
    dotnet "$dll" >"$out/service.log" 2>&1 &
  service_pid=$!
  local deadline=$((started + 120000000000))
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" || true)" = 200 ]; do
    if [ "$(date +%s%N)" -gt "$deadline" ] || ! kill -0 "$service_pid" 2>/dev/null; then
      echo "$dll did not become healthy; its log:" >&2; tail -20 "$out/service.log" >&2
      kill -TERM "$service_pid" 2>/dev/null; wait "$service_pid" 2>/dev/null; exit 1
    fi
    sleep 0.05
  done
  local healthy=$((($(date +%s%N) - started) / 1000000)) endpoint=-
  if [ -n "${probe[$service]:-}" ]; then
    read -r method path <<<"${probe[$service]}"
    curl -s -o /dev/null -X "$method" "http://127.0.0.1:$port$path" -H 'content-type: application/json' \
      -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" --data-binary '{}' --max-time 60 || true
    endpoint=$((($(date +%s%N) - started) / 1000000))
  fi
  local stat; read -r -a stat <"/proc/$service_pid/stat"
  local cpu=$(((stat[13] + stat[14]) * 1000 / clock_ticks))
  local rss=$(awk '/^VmRSS/ {print int($2 / 1024)}' "/proc/$service_pid/status")
  kill -TERM "$service_pid"; wait "$service_pid" 2>/dev/null || true; service_pid=""
  echo "$healthy $endpoint $cpu $rss"
}

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)}'; }

declare -A result
for service in "${services[@]}"; do
  for variant in static runtime; do
    dll="$out/$variant/publish/$service/release/$service.dll"
    # The first start creates the schema: not counted.
    measure "$dll" "$service" >/dev/null
    samples=()
    for _ in $(seq 1 "$runs"); do samples+=("$(measure "$dll" "$service")"); done
    echo "$service $variant: ${samples[*]}  (ms to healthy, ms to first endpoint answer, CPU ms, RSS MB)" >&2
    column() { printf '%s\n' "${samples[@]}" | awk -v c="$1" '{print $c}' | median; }
    first=$([ -n "${probe[$service]:-}" ] && echo "$(column 2) ms" || echo "no endpoint")
    result[$service.$variant]="$(column 1) ms | $first | $(column 3) ms | $(column 4) MB"
  done
done

echo
echo "| service | code | healthy after | first endpoint answer after | CPU then | RSS then |"
echo "| --- | --- | --- | --- | --- | --- |"
for service in "${services[@]}"; do
  echo "| $service | static (pre-generated) | ${result[$service.static]} |"
  echo "| $service | runtime compilation | ${result[$service.runtime]} |"
done
echo
echo "Median of $runs starts each after one uncounted start; $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."

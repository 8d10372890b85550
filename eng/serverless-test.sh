#!/usr/bin/env bash
# samples/ServerlessApi as it runs in production: NativeAOT-published with zero warnings, two instances of the binary on
# one throwaway PostgreSQL server (started here, as eng/consumer-test-postgres.sh does, and removed afterwards) and one
# simulated payment provider, checked with curl:
#   a. one Idempotency-Key sent to both instances at once: one charge, one response (the other 409), replayed to retries
#   b. an instance SIGKILLed mid-handler, after the charge: the retry on the other instance takes the key over, runs the
#      handler again, and the provider's idempotency keeps it to one charge
#   c. the key with another body: 422
#   d. the per-API-key rate limit holds across instances (PermitLimit then 429)
#   e. a circuit breaker opened on one instance rejects on the other (503, nothing charged)
#   f. cold start (process start to the first 200 on /health, median of 5), peak RSS and the binary's size, on SQLite,
#      gated at twice the targets (100 ms, 80 MiB, 32 MiB)
# Exits non-zero on any mismatch. Usage: eng/serverless-test.sh <work directory>
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
[ $# -eq 1 ] || { echo "usage: eng/serverless-test.sh <work directory>"; exit 2; }
rm -rf "$1" && mkdir -p "$1" || exit 1
work=$(cd "$1" && pwd)
began=$SECONDS
command -v curl >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; } || exit 1

rc=0
ok() { echo "serverless: ok: $*"; }
fail() { echo "serverless: FAIL: $*"; rc=1; }

# --- publish ---------------------------------------------------------------------------------------------------
out="$work/out"
(cd "$root" && dotnet publish samples/ServerlessApi -c Release -r linux-x64 -o "$out") >"$work/publish.log" 2>&1 \
  || { tail -40 "$work/publish.log"; echo "serverless: the publish failed"; exit 1; }
if grep -E "warning|IL[23][0-9]{3}" "$work/publish.log"; then echo "serverless: the NativeAOT publish printed warnings (above)"; exit 1; fi
bin="$out/serverlessapi"
[ -x "$bin" ] || { ls "$out"; echo "serverless: no published binary"; exit 1; }
if ls "$out"/*.so >/dev/null 2>&1; then ls "$out"; echo "serverless: a .so sits beside the binary"; exit 1; fi
size=$(stat -c %s "$bin")
echo "serverless: published $bin with zero warnings in $((SECONDS - began)) s"
cd "$work" || exit 1

# --- processes, and their cleanup ------------------------------------------------------------------------------
pids=()
pg=""
pgbin=""
as=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  if [ -n "$pg" ]; then
    [ -f "$pg/data/postmaster.pid" ] && (cd / && "${as[@]}" "$pgbin/pg_ctl" -D "$pg/data" -m immediate -w stop >/dev/null 2>&1)
    rm -rf "$pg"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  local port
  for port in $(shuf -i 20000-60000 -n 20); do
    (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return 0; }
  done
  return 1
}

# start <name> <port> [VAR=value...]: starts the binary with those variables, logs to $work/<name>.log, waits for
# /health; the process id is in $started.
start() {
  local name=$1 port=$2; shift 2
  env "$@" "$bin" --urls "http://127.0.0.1:$port" >"$work/$name.log" 2>&1 &
  started=$!
  pids+=("$started")
  local _
  for _ in $(seq 1 200); do
    curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$port/health" && return 0
    kill -0 "$started" 2>/dev/null || break
    sleep 0.05
  done
  cat "$work/$name.log"; echo "serverless: instance $name did not answer /health"; return 1
}

stop() { kill -TERM "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# post <port> <name> <api key> <idempotency key> <body> [curl arguments...]: prints the status; the body goes to
# $checks/<name>, the headers to $checks/<name>.headers.
checks="$work/checks"
mkdir -p "$checks"
post() {
  local port=$1 name=$2 api=$3 key=$4 body=$5; shift 5
  curl -s -o "$checks/$name" -D "$checks/$name.headers" -w '%{http_code}' --max-time 30 -X POST "http://127.0.0.1:$port/payments" \
    -H 'Content-Type: application/json' -H "X-Api-Key: $api" -H "Idempotency-Key: \"$key\"" --data "$body" "$@"
}

# retry <port> <name> <api key> <idempotency key> <body>: posts until the answer is not 409 (the first request has not
# stored its response yet), at most 8 times in 4 s; prints the last status.
retry() {
  local code _
  for _ in 1 2 3 4 5 6 7 8; do
    code=$(post "$@")
    [ "$code" != 409 ] && break
    sleep 0.5
  done
  echo "$code"
}

header() { tr -d '\r' <"$checks/$1.headers" | awk -v h="$(echo "$2" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1) == h {print $2}'; }
ledger="$work/payment-provider.log"
charges() { local n; n=$(grep -c "^charge $1 " "$ledger" 2>/dev/null); echo "${n:-0}"; }

# --- a throwaway PostgreSQL server -----------------------------------------------------------------------------
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || { echo "serverless: no PostgreSQL server binaries under /usr/lib/postgresql"; exit 1; }
pg=$(mktemp -d /tmp/nap-serverless-pg.XXXXXX); chmod 755 "$pg"
[ "$(id -u)" -eq 0 ] && { chown postgres "$pg"; as=(runuser -u postgres --); }
(cd / && "${as[@]}" "$pgbin/initdb" -D "$pg/data" -A trust -U app -E UTF8 --locale=C --no-sync >"$pg/initdb.log" 2>&1) \
  || { cat "$pg/initdb.log"; echo "serverless: initdb failed"; exit 1; }
pgport=""
for port in $(shuf -i 20000-60000 -n 10); do
  (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
  # From /: the postgres user may not enter the directory this runs in.
  if (cd / && "${as[@]}" "$pgbin/pg_ctl" -D "$pg/data" -o "-k $pg -p $port -c listen_addresses=127.0.0.1 -c fsync=off" \
      -l "$pg/server.log" -w -t 60 start >/dev/null); then pgport=$port; break; fi
done
[ -n "$pgport" ] || { cat "$pg/server.log"; echo "serverless: the throwaway PostgreSQL server did not start"; exit 1; }
store="postgres:Host=127.0.0.1;Port=$pgport;Username=app;Database=postgres"
echo "serverless: throwaway PostgreSQL on 127.0.0.1:$pgport ($pgbin)"

# Two instances on it, one payment provider (its ledger file), a rate limit of $limit requests per API key a minute.
limit=10
common=("Store=$store" "DOWNSTREAM_LOG=$ledger" "RateLimit__PermitLimit=$limit")
port_a=$(free_port) && start a "$port_a" "${common[@]}" || exit 1
pid_a=$started
port_b=$(free_port) && start b "$port_b" "${common[@]}" || exit 1
pid_b=$started
echo "serverless: instances A (127.0.0.1:$port_a) and B (127.0.0.1:$port_b) share the store and the provider's ledger $ledger"
body='{"amount":12.5,"currency":"EUR"}'

code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port_a/payments" -H 'Idempotency-Key: "k0"' -H 'Content-Type: application/json' --data "$body")
[ "$code" = 401 ] && ok "no X-Api-Key: 401" || fail "no X-Api-Key gave $code, not 401"

# --- a. one key, both instances at once ------------------------------------------------------------------------
post "$port_a" a-first-A shop-a K1 "$body" >"$checks/a-first-A.code" &
ja=$!
post "$port_b" a-first-B shop-a K1 "$body" >"$checks/a-first-B.code" &
jb=$!
wait "$ja" "$jb"
ca=$(cat "$checks/a-first-A.code"); cb=$(cat "$checks/a-first-B.code")
first=""
case "$ca $cb" in
  "201 201") cmp -s "$checks/a-first-A" "$checks/a-first-B" && first=a-first-A || fail "a: both instances answered 201 with different bodies: $(cat "$checks/a-first-A") / $(cat "$checks/a-first-B")" ;;
  "201 409") first=a-first-A ;;
  "409 201") first=a-first-B ;;
  *) fail "a: the same key on both instances at once gave $ca and $cb (want 201 and 201 or 409)"; cat "$checks/a-first-A" "$checks/a-first-B" ;;
esac
if [ -n "$first" ]; then
  ra=$(retry "$port_a" a-retry-A shop-a K1 "$body"); rb=$(retry "$port_b" a-retry-B shop-a K1 "$body")
  if [ "$ra $rb" = "201 201" ] && cmp -s "$checks/$first" "$checks/a-retry-A" && cmp -s "$checks/$first" "$checks/a-retry-B" \
      && [ "$(header a-retry-B Idempotent-Replayed)" = true ]; then
    ok "a: one key on both instances at once: $ca and $cb, retries on A and B replayed the same 201 ($(cat "$checks/$first"))"
  else
    fail "a: retries gave $ra and $rb, bodies $(cat "$checks/a-retry-A") / $(cat "$checks/a-retry-B"), first $(cat "$checks/$first")"
  fi
  n=$(charges K1); [ "$n" = 1 ] && ok "a: the provider charged K1 once" || fail "a: the provider charged K1 $n times"
  id=$(sed -E 's/.*"id":"([^"]+)".*/\1/' "$checks/$first")
  location=$(header "$first" Location)
  got=$(curl -s -o "$checks/a-get" -w '%{http_code}' "http://127.0.0.1:$port_b/payments/$id" -H 'X-Api-Key: shop-a')
  other=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port_b/payments/$id" -H 'X-Api-Key: another-shop')
  if [ "$location" = "/payments/$id" ] && [ "$got $other" = "200 404" ] && cmp -s "$checks/$first" "$checks/a-get"; then
    ok "a: Location $location; GET on B returns the payment (200), to another API key 404"
  else
    fail "a: Location '$location', GET gave $got ($(cat "$checks/a-get")) and to another API key $other (want 200, 404)"
  fi
fi

# --- b. SIGKILL mid-handler, after the charge ------------------------------------------------------------------
stop "$pid_a"
port_a=$(free_port) && start a-slow "$port_a" "${common[@]}" DOWNSTREAM_DELAY_MS=3000 || exit 1
pid_a=$started
post "$port_a" b-first-A shop-b K2 "$body" >/dev/null &
jb=$!
for _ in $(seq 1 200); do grep -q "^handling K2$" "$work/a-slow.log" && break; sleep 0.05; done
sleep 0.5
if grep -q "^handling K2$" "$work/a-slow.log"; then
  before=$(charges K2)
  kill -9 "$pid_a"; wait "$pid_a" 2>/dev/null; wait "$jb" 2>/dev/null
  rb=$(retry "$port_b" b-retry-B shop-b K2 "$body")
  again=$(post "$port_b" b-again-B shop-b K2 "$body")
  n=$(charges K2)
  if [ "$before" = 1 ] && [ "$rb $again" = "201 201" ] && cmp -s "$checks/b-retry-B" "$checks/b-again-B" \
      && grep -q "^handling K2$" "$work/b.log" && [ "$n" = 1 ]; then
    ok "b: A SIGKILLed mid-handler after charging K2; the retry on B took the key over and ran the handler again (201), the next retry replayed it, the provider charged K2 once"
  else
    fail "b: charges before the kill $before (want 1), retry on B $rb, again $again (want 201 201, same body), handled on B: $(grep -c "^handling K2$" "$work/b.log"), charges after $n (want 1)"
    cat "$checks/b-retry-B" "$checks/b-again-B"
  fi
else
  fail "b: A never logged 'handling K2'"; cat "$work/a-slow.log"
fi
port_a=$(free_port) && start a2 "$port_a" "${common[@]}" || exit 1
pid_a=$started

# --- c. the same key with another body -------------------------------------------------------------------------
code=$(post "$port_b" c-changed shop-a K1 '{"amount":13,"currency":"EUR"}')
[ "$code" = 422 ] && ok "c: K1 with another body: 422" || fail "c: K1 with another body gave $code, not 422"

# --- d. the per-API-key rate limit, across instances -----------------------------------------------------------
codes=""
for i in $(seq 1 $((limit + 1))); do
  [ $((i % 2)) -eq 1 ] && port=$port_a || port=$port_b
  codes="$codes $(post "$port" "d-$i" shop-d "D$i" "$body")"
done
want="$(printf ' 201%.0s' $(seq 1 "$limit")) 429"
[ "$codes" = "$want" ] && ok "d: $limit requests alternating between A and B got 201, the next 429 (one budget per API key):$codes" \
  || fail "d: rate limit of $limit across instances gave$codes (want$want)"

# --- e. the breaker opened on A rejects on B -------------------------------------------------------------------
codes=""
for i in 1 2 3; do codes="$codes $(post "$port_a" "e-fail-$i" shop-e "E$i" "$body" -H 'X-Downstream-Fail: 1')"; done
code=$(post "$port_b" e-open shop-e E4 "$body")
retry_after=$(header e-open Retry-After)
n=$(charges E4)
if [ "$codes" = " 502 502 502" ] && [ "$code" = 503 ] && [ -n "$retry_after" ] && [ "$n" = 0 ]; then
  ok "e: 3 provider failures on A ($codes ) opened the breaker; B answered 503 with Retry-After $retry_after and charged nothing"
else
  fail "e: failures on A gave$codes (want 502 502 502), then B gave $code (want 503) with Retry-After '$retry_after', E4 charged $n times (want 0)"
  cat "$checks/e-open"
fi
stop "$pid_a"; stop "$pid_b"

# --- f. cold start, memory and size on SQLite ------------------------------------------------------------------
mkdir -p "$work/cold"
times=(); peak=0
for run in 1 2 3 4 5; do
  port=$(free_port)
  t0=$(date +%s%N)
  Store="sqlite:$work/cold/run$run.db" DOWNSTREAM_LOG="$work/cold/ledger" "$bin" --urls "http://127.0.0.1:$port" >"$work/cold/run$run.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  up=0
  for _ in $(seq 1 2000); do
    curl -fs -o /dev/null --max-time 1 "http://127.0.0.1:$port/health" && { up=1; break; }
    kill -0 "$pid" 2>/dev/null || break
  done
  t1=$(date +%s%N)
  [ "$up" -eq 1 ] || { cat "$work/cold/run$run.log"; fail "f: run $run never answered /health"; break; }
  times+=($(( (t1 - t0) / 1000000 )))
  # A few requests (payments, a replay, a read), then the peak resident set.
  for i in 1 2 3; do post "$port" "f-$run-$i" shop-f "F$run-$i" "$body" >/dev/null; done
  post "$port" "f-$run-replay" shop-f "F$run-1" "$body" >/dev/null
  id=$(sed -E 's/.*"id":"([^"]+)".*/\1/' "$checks/f-$run-1")
  curl -s -o /dev/null "http://127.0.0.1:$port/payments/$id" -H 'X-Api-Key: shop-f'
  hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  [ "${hwm:-0}" -gt "$peak" ] && peak=$hwm
  stop "$pid"
done
if [ ${#times[@]} -eq 5 ]; then
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  rss=$(awk -v k="$peak" 'BEGIN {printf "%.1f", k / 1024}')
  mib=$(awk -v b="$size" 'BEGIN {printf "%.1f", b / 1048576}')
  echo "serverless: cold start median $median ms (5 runs: ${times[*]} ms, process start to the first 200 on /health), peak RSS $rss MiB (after 3 payments, a replay and a read), binary $mib MiB ($size bytes) (eng/serverless-test.sh)"
  [ "$median" -le 100 ] || fail "f: the cold start median $median ms is over 100 ms"
  [ "$peak" -le $((80 * 1024)) ] || fail "f: the peak RSS $rss MiB is over 80 MiB"
  [ "$size" -le $((32 * 1024 * 1024)) ] || fail "f: the binary ($mib MiB) is over 32 MiB"
fi

echo "serverless: $([ "$rc" -eq 0 ] && echo "every check passed" || echo "FAILED") in $((SECONDS - began)) s"
exit "$rc"

#!/usr/bin/env bash
# Consumes the packed NativeAotPersistence.PostgreSql package the way a stranger does: a brand-new console project that
# adds only that package (the core and its payload generator come with it), a [Payload] context, NativeAOT publish with
# zero warnings, and a run against a throwaway PostgreSQL server started here (initdb/pg_ctl as the unprivileged
# postgres user when running as root), stopped and removed afterwards.
# Usage: eng/consumer-test-postgres.sh <folder with the .nupkg files> <work directory>
set -u
here=$(cd "$(dirname "$0")" && pwd)
feed=$(cd "$1" && pwd)
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

version=$(ls "$feed"/NativeAotPersistence.PostgreSql.[0-9]*.nupkg | head -1 | sed -E 's/.*NativeAotPersistence\.PostgreSql\.([0-9][^/]*)\.nupkg/\1/')
echo "consumer-postgres: NativeAotPersistence.PostgreSql $version from $feed"

label=consumer-postgres
. "$here/consumer-lib.sh"
new_consumer "$feed" PgConsumer "NativeAotPersistence.PostgreSql@$version" || exit 1

cat > Program.cs <<'CS'
using NativeAotPersistence;

await using var p = await PostgresAdapter.OpenAsync(args[0], new PersistenceAdapterOptions
{
    KeyPrefix = "consumer:", Payloads = ConsumerPayloads.Default, LockScope = LockScope.Database,
});
await p.Cache.SetAsync("order:1", new Order("1", 42.5m), TimeSpan.FromMinutes(5));
var order = await p.Cache.GetAsync<Order>("order:1");
var failures = await p.CircuitBreakers.RecordFailureAsync("upstream", 3);
await using var job = await p.Locks.AcquireAsync("job", TimeSpan.FromSeconds(30));
var once = await p.Idempotency.ExecuteOnceAsync("pay:1", TimeSpan.FromMinutes(1), _ => ValueTask.FromResult(new Order("2", 1m)));
var ok = order == new Order("1", 42.5m) && failures == 1 && job is { FencingToken: > 0 } && once.Id == "2";
Console.WriteLine(ok ? "consumer-postgres: ok" : "consumer-postgres: MISMATCH");
return ok ? 0 : 1;

internal sealed record Order(string Id, decimal Total);

[Payload(typeof(Order))]
internal sealed partial class ConsumerPayloads : PayloadContext;
CS

rc=0
publish_consumer PgConsumer || rc=1
[ -x out/PgConsumer ] || exit 1

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ]; then
  echo "consumer-postgres: no PostgreSQL server binaries; cannot run the published binary"; exit 1
fi
pg=$(mktemp -d /tmp/nap-consumer-pg.XXXXXX); chmod 755 "$pg"
as=(); [ "$(id -u)" -eq 0 ] && { chown postgres "$pg"; as=(runuser -u postgres --); }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 55439)
(cd / && "${as[@]}" "$bin/initdb" -D "$pg/data" -A trust -U app -E UTF8 --locale=C --no-sync >/dev/null) || { echo "consumer-postgres: initdb failed"; exit 1; }
(cd / && "${as[@]}" "$bin/pg_ctl" -D "$pg/data" -o "-k $pg -p $port -c listen_addresses=127.0.0.1" -l "$pg/log" -w start >/dev/null) || { cat "$pg/log"; exit 1; }
./out/PgConsumer "Host=127.0.0.1;Port=$port;Username=app;Database=postgres" || { echo "consumer-postgres: the published binary failed"; rc=1; }
(cd / && "${as[@]}" "$bin/pg_ctl" -D "$pg/data" -m fast -w stop >/dev/null)
rm -rf "$pg"
exit $rc

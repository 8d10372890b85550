#!/usr/bin/env bash
# Consumes the packed NativeAotPersistence.AspNetCore package the way a function author does: a brand-new minimal API
# (the Web SDK, CreateSlimBuilder), NativeAOT publish with zero warnings, then real HTTP against the binary: a retry gets
# the first response byte for byte, a changed body 422, a missing key 400, and a per-key rate limit that holds.
# Usage: eng/consumer-test-aspnetcore.sh <folder with the .nupkg files> <work directory>
set -u
here=$(cd "$(dirname "$0")" && pwd)
feed=$(cd "$1" && pwd)
work=$2
rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
command -v curl >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >/dev/null; } || exit 1

version=$(ls "$feed"/NativeAotPersistence.AspNetCore.[0-9]*.nupkg | head -1 | sed -E 's/.*NativeAotPersistence\.AspNetCore\.([0-9][^/]*)\.nupkg/\1/')
echo "consumer-aspnetcore: NativeAotPersistence.AspNetCore $version from $feed"
label=consumer-aspnetcore
. "$here/consumer-lib.sh"
new_consumer "$feed" WebConsumer "NativeAotPersistence.AspNetCore@$version" || exit 1
sed -i 's|Sdk="Microsoft.NET.Sdk"|Sdk="Microsoft.NET.Sdk.Web"|' WebConsumer.csproj

cat > Program.cs <<'CS'
using System.Threading.RateLimiting;
using NativeAotPersistence;
using NativeAotPersistence.AspNetCore;

var builder = WebApplication.CreateSlimBuilder(args);
var db = Environment.GetEnvironmentVariable("CONSUMER_DB") ?? "web.db";
builder.Services.AddSingleton<IPersistenceAdapter>(_ => SqliteAdapter.OpenAsync(db).AsTask().GetAwaiter().GetResult());
builder.Services.AddIdempotency(options => options.Scope = http => http.Request.Headers["X-Api-Key"]);
builder.Services.AddRateLimiter(limits =>
{
    limits.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
    limits.AddPersistentFixedWindow("per-key", http => http.Request.Headers["X-Api-Key"],
        _ => new FixedWindowRateLimiterOptions { PermitLimit = 3, Window = TimeSpan.FromMinutes(5) });
});

var app = builder.Build();
app.UseRateLimiter();
var payments = 0;
app.MapPost("/payments", () => Results.Text($"payment {Interlocked.Increment(ref payments)} {Guid.NewGuid()}", statusCode: 201)).WithIdempotency();
app.MapPost("/limited", () => "ok").RequireRateLimiting("per-key");
app.MapGet("/health", () => "ok");
app.Run();
CS

rc=0
publish_consumer WebConsumer || exit 1
port=$((20000 + RANDOM % 20000))
base="http://127.0.0.1:$port"
CONSUMER_DB="$work/web.db" ./out/WebConsumer --urls "$base" > server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -fs "$base/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$base/health" >/dev/null || { cat server.log; echo "$label: the server did not answer"; exit 1; }

post() { # post <path> <file> <headers...>: prints the status code, writes the body to <file>
  local path=$1 file=$2; shift 2
  curl -s -o "$file" -w '%{http_code}' -X POST "$base$path" -H 'Content-Type: application/json' --data '{"amount":5}' "$@"
}
first=$(post /payments first.txt -H 'Idempotency-Key: "order-1"' -H 'X-Api-Key: shop')
retry=$(post /payments retry.txt -H 'Idempotency-Key: "order-1"' -H 'X-Api-Key: shop')
other=$(post /payments other.txt -H 'Idempotency-Key: "order-1"' -H 'X-Api-Key: another-shop')
changed=$(curl -s -o changed.txt -w '%{http_code}' -X POST "$base/payments" -H 'Content-Type: application/json' --data '{"amount":6}' -H 'Idempotency-Key: "order-1"' -H 'X-Api-Key: shop')
missing=$(post /payments missing.txt -H 'X-Api-Key: shop')
if [ "$first $retry $other $changed $missing" = "201 201 201 422 400" ] && cmp -s first.txt retry.txt && ! cmp -s first.txt other.txt; then
  echo "consumer-aspnetcore: retry replayed byte for byte ($(cat first.txt)), another scope ran again, 422 for a changed body, 400 without a key"
else
  echo "consumer-aspnetcore: statuses $first $retry $other $changed $missing (want 201 201 201 422 400)"; cat first.txt retry.txt changed.txt; rc=1
fi
limits=""
for _ in 1 2 3 4; do limits="$limits $(post /limited /dev/null -H 'X-Api-Key: shop')"; done
[ "$limits" = " 200 200 200 429" ] && echo "consumer-aspnetcore: the per-key rate limit held (200 200 200 429)" || { echo "consumer-aspnetcore: rate limit gave$limits"; rc=1; }
exit "$rc"

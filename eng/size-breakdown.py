#!/usr/bin/env python3
"""What a NativeAOT binary of the library is made of, from the compiler's map file.

Usage: eng/size-breakdown.py <binary> <map.xml>
The map comes from publishing with -p:IlcGenerateMapFile=true (obj/<config>/<tfm>/<rid>/native/<name>.map.xml), e.g.
  dotnet publish samples/AotConsole -c Release -r linux-x64 -p:AotConsolePostgres=false -p:IlcGenerateMapFile=true -o /tmp/aot
  python3 eng/size-breakdown.py /tmp/aot/aotconsole samples/AotConsole/obj/Release/net10.0/linux-x64/native/aotconsole.map.xml
Every node the compiler emitted (code, type data, generic dictionaries, frozen objects, metadata) is counted once, under
the assembly its name starts with; the library's own nodes by kind; generic framework types made over the library's
types (async state machines, dictionaries, tuples) as their own line. What the map does not list is native: SQLite
linked in, the runtime (GC, type system, exception handling) and the ELF file's own tables.
"""
import html
import os
import re
import sys
from collections import Counter

KINDS = [
    ("cache", r"Cache|GetOrSet|Expiring|Tag"),
    ("locks and leases", r"Lock|Lease|Holder|Fencing"),
    ("circuit breakers", r"Circuit|Breaker|Fleet"),
    ("checkpoints", r"Checkpoint"),
    ("idempotency", r"Idempoten|ExecuteOnce"),
    ("semaphores", r"Semaphore"),
    ("rate limiters", r"RateLimit|Limiter"),
    ("admin and compaction", r"Admin|Stats|Summary|Compact|Prun|Backup"),
    ("payloads (serializer runtime)", r"Payload|BuiltIn"),
    ("SQLite engine (connections, group commit, schema)", r"_Sqlite_|Sqlite3|GroupCommit|QueuedWrite|ConnectionGate|SqliteSchema|SqliteConnection|SqliteStatement|SqliteAdapter|SqliteProvider|SqliteContext|SqliteSweep|SqliteErrors|Delivery"),
    ("telemetry", r"Telemetry|Diagnostics|Events"),
]


def group(name, program):
    n = re.sub(r"^_ZTV\d+", "", name)
    n = re.sub(r"^(__readonlydata_|Boxed_|__GenericDict_|__GenericLookupFromDict_|__GenericLookupFromType_|unbox_|__ehinfo_|_ehinfo_|<Boxed>)", "", n)
    if n.startswith("NativeAotPersistence_") or n.startswith("NativeAotPersistence."):
        for kind, pattern in KINDS:
            if re.search(pattern, n):
                return "library: " + kind
        return "library: other (adapter, options, errors, keys, TTLs)"
    if "NativeAotPersistence" in n:
        return "framework generics made over the library's types (async state machines, tuples, collections)"
    if n.startswith("S_P_CoreLib") or n.startswith("S_P_"):
        return "System.Private.CoreLib and runtime libraries"
    if n.startswith("System_Text_Json") or n.startswith("System_Text_Encodings"):
        return "System.Text.Json"
    if n.startswith("System_") or n.startswith("Microsoft_"):
        return "other framework assemblies"
    if n.startswith("SQLitePCLRaw"):
        return "SQLitePCLRaw (managed)"
    if n.startswith(program + "_"):
        return "the program's own code (" + program + ", its command-line parser included)"
    if re.match(r"^(String|Object|Bool|Char|U?Int(8|16|32|64|Ptr)|Double|Single|Internal|g|tls)(_|$)", n):
        return "System.Private.CoreLib and runtime libraries"
    return "type data, metadata, frozen objects, hashtables"


def main():
    binary, map_path = sys.argv[1], sys.argv[2]
    text = open(map_path, encoding="utf-8-sig").read()
    sizes = Counter()
    for m in re.finditer(r'<\w+ Name="([^"]*)" Length="(\d+)"', text):
        sizes[group(html.unescape(m.group(1)), os.path.basename(binary))] += int(m.group(2))
    total = os.path.getsize(binary)
    sizes["native: SQLite, the runtime's native part, ELF tables (the rest of the file)"] = total - sum(sizes.values())
    print(f"{os.path.basename(binary)}: {total:,} bytes")
    print("| part | bytes | share |")
    print("|---|---:|---:|")
    for part, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
        print(f"| {part} | {size:,} | {size * 100 / total:.1f} % |")


if __name__ == "__main__":
    main()

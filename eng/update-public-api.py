#!/usr/bin/env python3
"""Adds every symbol that RS0016 reports to the project's PublicAPI.Unshipped.txt, and removes what RS0017 reports.

Usage: eng/update-public-api.py src/Runtime   (review the diff afterwards: that is what the file is for)
"""
import re, subprocess, sys, pathlib

project = pathlib.Path(sys.argv[1])
out = subprocess.run(["dotnet", "build", str(project), "--no-incremental", "-v:q", "-clp:NoSummary"],
                     capture_output=True, text=True).stdout
added = set(re.findall(r"error RS0016: Symbol '(.+?)' is not part of the declared public API", out))
removed = set(re.findall(r"error RS0017: Symbol '(.+?)' is part of the declared API, but is either not public", out))
path = project / "PublicAPI.Unshipped.txt"
lines = [l for l in path.read_text().splitlines() if l and not l.startswith("#")]
lines = sorted((set(lines) | added) - removed, key=lambda s: s.lstrip("~").replace("static ", "").replace("override ", "").replace("abstract ", "").replace("virtual ", "").replace("const ", "").replace("readonly ", "").lower())
path.write_text("#nullable enable\n" + "".join(l + "\n" for l in lines))
print(f"{len(added)} added, {len(removed)} removed")

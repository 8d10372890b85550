#!/usr/bin/env bash
# Scale and cost of the payload generator next to System.Text.Json's source generator (issue 21): see README.md here.
# Builds the runtime and the generator (Release), then runs the harness; every argument goes to the harness:
#   bench/scale/run.sh [--types 500[,100,...]] [--builds 3] [--runs 10] [--no-aot] [--servers | --cold] [--work DIR] [--keep]
# Not part of CI: the harness project is not in NativeAotPersistence.sln.
set -euo pipefail
cd "$(dirname "$0")/../.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/Runtime -c Release -nologo -v:q
dotnet run -c Release --project bench/scale -- "$@"

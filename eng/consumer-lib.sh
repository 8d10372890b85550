# Shared by the eng/consumer-test*.sh scripts: a brand-new console project that takes packages the way a stranger does,
# and its NativeAOT publish. Source it; every function prints with the caller's $label and returns non-zero on failure.

# new_consumer <feed> <project> <package@version>... [-- <extra csproj property lines>]
# Creates <project> in the current directory and enters it. The local feed is added to the machine's usual NuGet
# sources (the packages ours depend on come from there); CI packs a pre-release version that exists only in the feed.
new_consumer() {
  local feed=$1 project=$2; shift 2
  local packages=() properties=""
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do packages+=("$1"); shift; done
  [ $# -gt 0 ] && shift && properties=$*
  dotnet new console -n "$project" -o "$project" >/dev/null || return 1
  cd "$project" || return 1
  echo '<configuration><packageSources /></configuration>' > nuget.config
  dotnet nuget add source "$feed" --name local --configfile nuget.config >/dev/null || return 1
  local package
  for package in "${packages[@]}"; do
    dotnet add package "${package%@*}" --version "${package#*@}" >/dev/null || { echo "$label: dotnet add package ${package%@*} failed"; return 1; }
  done
  sed -i "s|</PropertyGroup>|  <PublishAot>true</PublishAot>\n    <InvariantGlobalization>true</InvariantGlobalization>\n    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>\n${properties}  </PropertyGroup>|" "$project.csproj"
}

# publish_consumer <project>: NativeAOT publish into out/; fails on a failed publish, and on any warning it printed.
publish_consumer() {
  local project=$1
  dotnet publish -c Release -r linux-x64 -o out > publish.log 2>&1 || { cat publish.log; echo "$label: publish failed"; return 1; }
  if grep -E "warning|IL[23][0-9]{3}" publish.log; then echo "$label: the AOT publish printed warnings"; return 1; fi
  [ -x "out/$project" ] || { ls out; echo "$label: no published binary"; return 1; }
  local size; size=$(stat -c %s "out/$project")
  echo "$label: published $size bytes ($((size / 1024)) KiB) with zero warnings"
}

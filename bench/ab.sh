#!/usr/bin/env bash
# Two builds of an in-process benchmark, run in turns in one sitting: on these small, noisy machines
# the same build measures 20-30% apart an hour later, so only runs alternated side by side compare
# (BENCHMARKS.md). Each commit is checked out in a git worktree of its own and built once; "." is the
# working tree as it is, uncommitted changes included.
#
#   bench/ab.sh BEFORE AFTER PAIRS BENCH [ARGS...]
#   bench/ab.sh 5d7adc0 . 3 engage 100000 0      # Engage, 100,000 events a round, nothing stored
#   bench/ab.sh HEAD~1 HEAD 4 profiles 100000
#
# BENCH is a folder of bench/ with one Sluice.Bench.*.csproj (engage, profiles, routing, eventlog,
# privacy, sqlite). LINES (a grep -E pattern, default: every line) keeps the lines each run reports.
set -euo pipefail
if [ $# -lt 4 ]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 2
fi

before=$1 after=$2 pairs=$3 bench=$4
shift 4
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lines=${LINES:-.}

# The folder a build is made in: the working tree for ".", else a worktree at the commit.
checkout() {
  if [ "$1" = "." ]; then
    echo "$repo"
    return
  fi

  local commit
  commit=$(git -C "$repo" rev-parse --verify "$1^{commit}")
  local folder="${TMPDIR:-/tmp}/sluice-ab-$commit"
  if [ ! -d "$folder" ]; then
    git -C "$repo" worktree add --quiet --detach "$folder" "$commit"
  fi

  echo "$folder"
}

build() {
  local project
  project=$(ls "$1/bench/$bench"/Sluice.Bench.*.csproj)
  dotnet build "$project" -c Release --nologo -v quiet >/dev/null
  echo "$1/bench/$bench/bin/Release/net10.0/$(basename "${project%.csproj}").dll"
}

first=$(build "$(checkout "$before")")
second=$(build "$(checkout "$after")")
echo "before: $before ($first)"
echo "after:  $after ($second)"
for pair in $(seq 1 "$pairs"); do
  for side in before after; do
    if [ "$side" = before ]; then dll=$first; else dll=$second; fi
    dotnet "$dll" "$@" | grep -E "$lines" | sed "s/^/pair $pair, $side: /"
  done
done

echo "(worktrees stay for the next comparison: git worktree list; git worktree remove FOLDER)"

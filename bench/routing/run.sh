#!/usr/bin/env bash
# Router + mapping throughput on one core, in-process, and Segment's own runtime on the same
# corpus as the baseline (when the oracle is next to the repository). See bench/README.md.
#
#   bench/routing/run.sh
#
# Environment:
#   ORACLE=../shared/oracle   Segment's runtime (bench-reference.js, corpus.js); without it only Sluice is measured
#   CORPUS_SIZE=2000 CORPUS_SEED=99   the corpus (node corpus.js SIZE SEED)
#   CPU=0                      the core both runs are pinned to (taskset)
#   WARMUP_SECONDS=10          how long Sluice's runs repeat before the measured ones (each workspace, each loop)
set -euo pipefail
BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$BENCH_DIR/../.." && pwd)"
ORACLE="${ORACLE:-$REPO/../shared/oracle}"
CORPUS_SIZE="${CORPUS_SIZE:-2000}"
CORPUS_SEED="${CORPUS_SEED:-99}"
CPU="${CPU:-0}"
RESULTS_DIR="$REPO/bench/results"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$RESULTS_DIR"

if [[ -f "$ORACLE/corpus.js" ]]; then
    [[ -d "$ORACLE/vendor-extract" ]] || (cd "$ORACLE" && ./setup.sh >&2)
    (cd "$ORACLE" && node corpus.js "$CORPUS_SIZE" "$CORPUS_SEED") > "$WORK/corpus.jsonl"
    corpus_note="node corpus.js $CORPUS_SIZE $CORPUS_SEED"
else
    echo "run.sh: no oracle at $ORACLE: using the FullStory test events, and no baseline" >&2
    cp "$REPO/tests/Sluice.Core.Tests/TestData/vectors/fullstory/events.jsonl" "$WORK/corpus.jsonl"
    corpus_note="tests/Sluice.Core.Tests/TestData/vectors/fullstory/events.jsonl"
fi

# Tiering starts at once in the benchmark (its csproj says why): pinned to one core, it came late.
dotnet build "$BENCH_DIR/Sluice.Bench.Routing.csproj" -c Release --nologo -v quiet >/dev/null
sluice="$(taskset -c "$CPU" dotnet "$BENCH_DIR/bin/Release/net10.0/Sluice.Bench.Routing.dll" "$WORK/corpus.jsonl")"
reference=""
if [[ -f "$ORACLE/bench-reference.js" ]]; then
    reference="$(cd "$ORACLE" && taskset -c "$CPU" node bench-reference.js "$WORK/corpus.jsonl")"
fi

stamp="$(date -u +%Y%m%dT%H%M%SZ)"
{
    echo "# Routing benchmark $stamp"
    echo
    echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); both runs pinned to CPU $CPU"
    echo "- commit: $(git -C "$REPO" rev-parse --short HEAD)"
    echo "- corpus: $corpus_note"
    echo
    echo "Sluice:"
    echo '```json'
    echo "$sluice"
    echo '```'
    if [[ -n "$reference" ]]; then
        best_reference="$(echo "$reference" | grep -o 'events/s: [0-9]*' | awk '{print $2}' | sort -n | tail -1)"
        best_sluice="$(echo "$sluice" | head -1 | grep -o '"bestEventsPerSecond":[0-9]*' | cut -d: -f2)"
        echo
        echo "Segment's runtime (actions-core, FullStory presets), bench-reference.js:"
        echo '```'
        echo "$reference"
        echo '```'
        echo
        best_engine="$(echo "$sluice" | head -1 | grep -o '"bestEngineEventsPerSecond":[0-9]*' | cut -d: -f2)"
        echo "Ratio, FullStory presets, best runs, full pipeline: $(awk -v s="$best_sluice" -v r="$best_reference" 'BEGIN { printf "%.2f", s / r }')× ($best_sluice / $best_reference events/s)"
        echo "Ratio, FullStory presets, best runs, engine (the reference's loop): $(awk -v s="$best_engine" -v r="$best_reference" 'BEGIN { printf "%.2f", s / r }')× ($best_engine / $best_reference events/s)"
    fi
} | tee "$RESULTS_DIR/routing-$stamp.md"

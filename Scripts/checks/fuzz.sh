#!/usr/bin/env bash
# Builds the fuzz targets (Fuzz/: libFuzzer + AddressSanitizer, the library instrumented too)
# and runs each on its corpus for SECONDS (default 20) seconds:
#   Scripts/checks/fuzz.sh [SECONDS] [TARGET...]      e.g. Scripts/checks/fuzz.sh 1800 FuzzNumPy
# A crash, a leak, a timeout or a memory blow-up fails the run; the input that caused it is
# kept in Fuzz/Findings/<target>/ and should become a regression case in
# Tests/KerasFilesTests/Fixtures/fuzz (swift test reads every file there). New coverage
# found on the way goes to a scratch corpus, not to the committed one.
set -euo pipefail
cd "$(dirname "$0")/../../Fuzz"
seconds="${1:-20}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(FuzzNumPy FuzzZip FuzzHDF5 FuzzModelFiles FuzzModelJSON FuzzWeights); fi
flags=(-c debug --sanitize=fuzzer --sanitize=address --scratch-path .build-instrumented
       -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp)
swift build "${flags[@]}"
bin="$(swift build "${flags[@]}" --show-bin-path)"
# Weights a hostile file asks for are capped (64 Mi values), so that an absurd size is an error
# here rather than an out-of-memory report.
export GRU_MAX_WEIGHT_VALUES=$((64 * 1024 * 1024))
status=0
for target in "${targets[@]}"; do
    corpus="Corpus/${target#Fuzz}"
    scratch="$(mktemp -d)"
    mkdir -p "Findings/$target"
    echo "== $target: ${seconds}s on $corpus"
    if ! "$bin/$target" "$scratch" "$corpus" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=3072 \
            -max_len=262144 -print_final_stats=1 -artifact_prefix="Findings/$target/" 2>"$scratch.log"; then
        status=1
        tail -40 "$scratch.log"
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|cov:" "$scratch.log" | tail -3 || true
    rm -rf "$scratch" "$scratch.log"
done
exit $status

#!/usr/bin/env bash
# Speed on paper for the aarch64 kernels, since none can be timed here: the inner loop of each
# product kernel as clang compiles it for a core (-mcpu), run through llvm-mca's model of that
# core, against the same core's model running only the loop's multiply-adds (its FMA peak).
#
#     Scripts/checks/kernel-mca.sh            (needs the toolchain's clang and Debian's llvm-19)
#
# Prints, per core and kernel: the model's cycles per iteration, the cycles the multiply-adds
# alone need, and their ratio (the share of the core's FMA peak the loop reaches in the model).
set -euo pipefail
cd "$(dirname "$0")/../.."
mca=${LLVM_MCA:-$(command -v llvm-mca-19 || command -v llvm-mca || true)}
[ -n "$mca" ] || { echo "llvm-mca not found: install Debian's llvm-19"; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The innermost loop (label to its backward branch) that holds the most instructions matching
# $2 in the assembly $1.
loop() {
    awk -v pattern="$2" '
        /^\.LBB[0-9_]+:/ { label = substr($1, 1, length($1) - 1); body = ""; count = 0; next }
        label != "" && $1 ~ /^b\./ && $2 == label { if (count > best) { best = count; kept = body } label = ""; next }
        label != "" && $1 !~ /^\/\// && $1 !~ /^\./ { body = body $0 "\n"; if ($0 ~ pattern) count++ }
        END { printf "%s", kept }' "$1"
}

cycles() { # llvm-mca's cycles per iteration of the block in $2 on core $1 (extra flags after)
    local core=$1 block=$2
    shift 2
    "$mca" -mtriple=aarch64-linux-gnu -mcpu="$core" "$@" -iterations=1000 "$block" 2> /dev/null \
        | awk '/^Total Cycles:/ { printf "%.2f", $3 / 1000 }'
}

printf "%-12s %-34s %10s %10s %8s\n" core kernel cycles/iter fma-bound of-peak
for core in apple-m1 neoverse-n1 neoverse-v1; do
    clang --target=aarch64-linux-gnu -mcpu="$core" -O2 -std=c11 -I Sources/CGRUKernels/include -S \
        Sources/CGRUKernels/gemm.c -o "$work/gemm.s"
    loop "$work/gemm.s" 'fmla.*\.s\[' > "$work/f32.s"
    grep 'fmla' "$work/f32.s" > "$work/f32-fma.s"
    total=$(cycles "$core" "$work/f32.s")
    bound=$(cycles "$core" "$work/f32-fma.s")
    printf "%-12s %-34s %10s %10s %7.0f%%\n" "$core" "float32 6x16 (24 FMLA per k)" "$total" "$bound" \
        "$(echo "$bound $total" | awk '{ print 100 * $1 / $2 }')"
    # bfloat16 on Neoverse V1, the one of the three cores with FEAT_BF16.
    if [ "$core" = neoverse-v1 ]; then
        clang --target=aarch64-linux-gnu -mcpu="$core" -march=armv8.6-a+bf16 -O2 -std=c11 -I Sources/CGRUKernels/include -S \
            Sources/CGRUKernels/bf16.c -o "$work/bf16.s" 2> /dev/null || continue
        loop "$work/bf16.s" 'bfmmla' > "$work/bf.s"
        [ -s "$work/bf.s" ] || continue
        grep 'bfmmla' "$work/bf.s" > "$work/bf-mma.s"
        total=$(cycles "$core" "$work/bf.s" -mattr=+bf16)
        bound=$(cycles "$core" "$work/bf-mma.s" -mattr=+bf16)
        printf "%-12s %-34s %10s %10s %7.0f%%\n" "$core" "bfloat16 8x8 (16 BFMMLA per 4 k)" "$total" "$bound" \
            "$(echo "$bound $total" | awk '{ print 100 * $1 / $2 }')"
    fi
done

#!/usr/bin/env bash
# The C kernels' test program (Tests/CKernelTests/kernel_tests.c) against its double-precision
# reference: natively at every level this CPU reaches (GRU_KERNELS_LEVEL caps it), then for
# aarch64 under qemu at three CPU models: cortex-a72 and neoverse-n1 (NEON, no BF16) and max (BF16,
# I8MM), and at the portable level. The aarch64 part needs Debian's qemu-user-static,
# gcc-aarch64-linux-gnu and libc6-dev-arm64-cross (.ci/run installs them); without them it
# says so and is skipped.
#
#     Scripts/checks/kernel-tests.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
cc=${CC:-clang}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sources=(Sources/CGRUKernels/*.c Tests/CKernelTests/kernel_tests.c)
status=0

"$cc" -O2 -std=c11 -Wall -Werror -I Sources/CGRUKernels/include "${sources[@]}" -lm -lpthread -o "$work/native"
top=$("$work/native" | sed -n 's/^kernel level \([0-9]\).*/\1/p' || true)
for level in $(seq "${top:-0}" -1 0); do
    echo "== native, GRU_KERNELS_LEVEL=$level"
    GRU_KERNELS_LEVEL=$level "$work/native" || status=1
done

if command -v qemu-aarch64-static > /dev/null && command -v aarch64-linux-gnu-gcc > /dev/null \
    && [ -d /usr/aarch64-linux-gnu/include ]; then
    # clang compiles (the toolchain's, as for the package); the cross gcc links, statically, so
    # that qemu needs no library path.
    for source in "${sources[@]}"; do
        clang --target=aarch64-linux-gnu --sysroot=/usr/aarch64-linux-gnu -O2 -std=c11 -Wall -Werror \
            -I Sources/CGRUKernels/include -c "$source" -o "$work/$(basename "$source" .c).o"
    done
    aarch64-linux-gnu-gcc -static "$work"/*.o -lm -lpthread -o "$work/aarch64"
    for cpu in cortex-a72 neoverse-n1 max; do
        echo "== aarch64 under qemu, -cpu $cpu"
        qemu-aarch64-static -cpu "$cpu" "$work/aarch64" || status=1
    done
    echo "== aarch64 under qemu, -cpu cortex-a72, GRU_KERNELS_LEVEL=0"
    GRU_KERNELS_LEVEL=0 qemu-aarch64-static -cpu cortex-a72 "$work/aarch64" || status=1
else
    echo "aarch64 kernel tests skipped: qemu-aarch64-static, aarch64-linux-gnu-gcc or libc6-dev-arm64-cross is missing"
fi
exit $status

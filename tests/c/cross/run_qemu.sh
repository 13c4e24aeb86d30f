#!/bin/sh
# Runs cross-built C test binaries under qemu-user, each as `BIN MODEL_DIR` bounded by `timeout`,
# keeps going after a failure, and ends with "LABEL: N passed, N failed" (one count per binary).
# A crash shows as the signal qemu passed on (SIGBUS from a misaligned access, SIGILL from an
# instruction the emulated CPU lacks), so the failure line says which.
#
# Usage: run_qemu.sh LABEL SECONDS MODEL_DIR "QEMU [ARGS]" BIN...
# Exit status: 0 when every binary passed, 1 otherwise. With FAILURE_LOG set, each failure line
# is also appended to that file, so a caller can repeat them at the end of a long log.
set -u
label=$1 seconds=$2 models=$3 qemu=$4
shift 4

passed=0 failed=0
for bin in "$@"; do
    # $qemu is split on purpose: it is the emulator followed by its options.
    start=$(date +%s)
    timeout -k 5 "$seconds" $qemu "$bin" "$models"
    rc=$?
    if [ "$rc" -eq 0 ]; then
        passed=$((passed + 1))
        continue
    fi
    failed=$((failed + 1))
    case $rc in
        124|137) why="timed out (limit ${seconds} s)" ;;
        13[0-9]|14[0-9]|15[0-9]) why="killed by signal $((rc - 128)) ($(kill -l $((rc - 128))))" ;;
        *) why="exit status $rc" ;;
    esac
    line="$label: FAILED $(basename "$bin"): $why, after $(($(date +%s) - start)) s"
    echo "$line"
    if [ -n "${FAILURE_LOG:-}" ]; then echo "$line" >> "$FAILURE_LOG"; fi
done
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/usr/bin/env bash
# run_fuzzer.sh FUZZER SEEDS WORK SECONDS: fuzzes for SECONDS with libFuzzer,
# starting from the seed corpus SEEDS (read, never written: new inputs go to
# WORK/corpus, which is kept between runs so that time adds up), with
# AddressSanitizer and UBSan as the fuzzer was built. A finding leaves its
# input in WORK/ (crash-*, leak-*, timeout-*, oom-*) and fails the run.
# Reproduce one: FUZZER WORK/crash-... (or the replayer of a g++ build).
set -euo pipefail
# As tools/test-sanitize.sh sets them (allow_user_poisoning: see there).
export ASAN_OPTIONS=${ASAN_OPTIONS:-allow_user_poisoning=0:detect_leaks=1}
FUZZER=$1 SEEDS=$2 WORK=$3 SECONDS_TOTAL=$4
mkdir -p "$WORK/corpus"
rm -f "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* "$WORK"/oom-*
status=0
"$FUZZER" -max_total_time="$SECONDS_TOTAL" -timeout=20 -rss_limit_mb=3072 -print_final_stats=1 \
  -artifact_prefix="$WORK/" "$WORK/corpus" "$SEEDS" > "$WORK/fuzz.log" 2>&1 || status=$?
tail -n 25 "$WORK/fuzz.log"
if [ $status -ne 0 ] || ls "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* "$WORK"/oom-* > /dev/null 2>&1; then
  echo "run_fuzzer: $(basename "$FUZZER") found a problem (exit $status); inputs:" \
    "$(ls "$WORK"/crash-* "$WORK"/leak-* "$WORK"/timeout-* "$WORK"/oom-* 2>/dev/null | tr '\n' ' ')" >&2
  exit 1
fi
echo "run_fuzzer: $(basename "$FUZZER"): $SECONDS_TOTAL s, no finding; corpus $(ls "$WORK/corpus" | wc -l) inputs"

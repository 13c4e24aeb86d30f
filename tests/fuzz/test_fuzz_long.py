"""`make fuzz-long`'s summary (tests/fuzz/fuzz_long.py) reads libFuzzer's and atheris' logs
right and passes a harness only when it reached its executions without a finding."""
from __future__ import annotations

import argparse

from tests.fuzz import fuzz_long

LIBFUZZER_LOG = """\
INFO: Seed: 1
#2\tINITED cov: 40 ft: 41 corp: 1/1b exec/s: 0 rss: 30Mb
#1024\tpulse  cov: 52 ft: 60 corp: 7/90b lim: 4 exec/s: 512 rss: 31Mb
#4999\tNEW    cov: 53 ft: 64 corp: 9/120b lim: 4 exec/s: 999 rss: 31Mb L: 3/4 MS: 1 Custom-
#5000\tDONE   cov: 53 ft: 64 corp: 9/120b lim: 4 exec/s: 1000 rss: 31Mb
Done 5000 runs in 5 second(s)
stat::number_of_executed_units: 5000
stat::peak_rss_mb:              31
"""


def test_libfuzzer_stats_takes_the_last_status_and_the_final_count() -> None:
    assert fuzz_long.libfuzzer_stats(LIBFUZZER_LOG) == {
        "executions": 5000, "cov": 53, "ft": 64, "corpus": 9, "crash_inputs": 0}


def test_libfuzzer_stats_python_only_coverage_and_a_crash() -> None:
    log = ("#130\tINITED ft: 3 corp: 3/392b exec/s: 130 rss: 873Mb\n"
           "==1==ERROR: AddressSanitizer: heap-buffer-overflow\n"
           "artifact_prefix='out/'; Test unit written to out/crash-abc\n")
    assert fuzz_long.libfuzzer_stats(log) == {
        "executions": 130, "cov": 0, "ft": 3, "corpus": 3, "crash_inputs": 1}


def _harness(executions: int, findings: int, returncode: int) -> fuzz_long.Harness:
    h = fuzz_long.Harness("loader", "C loader", ["fuzz"], "libfuzzer")
    h.result = {"returncode": returncode, "seconds": 1.0, "executions": executions,
                "findings": findings, "coverage": "cov 1"}
    return h


def test_a_harness_passes_only_at_its_target_without_findings() -> None:
    assert fuzz_long.passed(_harness(1000, 0, 0), 1000)
    assert not fuzz_long.passed(_harness(999, 0, 0), 1000)
    assert not fuzz_long.passed(_harness(1000, 1, 1), 1000)
    assert not fuzz_long.passed(_harness(1000, 0, 2), 1000)
    args = argparse.Namespace(execs=1000, jobs=2)
    table = fuzz_long.markdown([_harness(1000, 0, 0), _harness(10, 0, 0), _harness(5, 1, 1)],
                               args, 60.0, "abc1234")
    rows = [line for line in table.splitlines() if line.startswith("| C loader")]
    assert [row.rsplit("|", 2)[1].strip() for row in rows] == ["pass", "below target", "FAIL"]

#!/usr/bin/env bash
# All tests, from a fresh clone: set up (if needed), then `bazel test //...`.
# Extra arguments go to `bazel test` (e.g. a target pattern or --test_output=all).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh || exit 1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(//...)
bazel test "${targets[@]}"
rc=$?
# One closing line counting individual test cases (from each target's JUnit XML), since Bazel's
# own summary counts targets.
.venv/bin/python tools/count_test_cases.py "$(bazel info bazel-testlogs 2>/dev/null)" || rc=1
exit $rc

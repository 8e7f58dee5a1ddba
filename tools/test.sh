#!/usr/bin/env bash
# All tests, from a fresh clone: set up (if needed), `bazel test //...`, then (when no arguments
# are given) the codec's AddressSanitizer run and the example consumer workspace (examples/consumer)
# with the remote-cache test.
# Extra arguments go to `bazel test` (e.g. a target pattern or --test_output=all).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash tools/setup.sh || exit 1
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(//...)
bazel test "${targets[@]}"
rc=$?
logs=("$(bazel info bazel-testlogs 2>/dev/null)")
# On a full run, the AddressSanitizer build of the codec (.bazelrc's --config=asan, its own output
# directory): the codec's tests and the fuzz targets with the instrumented extension.
ASAN_TARGETS=(//codec:quantization_test //codec:weights_test //converter:test_fuzz)
if [ $# -eq 0 ]; then
  bazel test --config=asan "${ASAN_TARGETS[@]}" || rc=1
  logs+=("$(bazel info --config=asan bazel-testlogs 2>/dev/null)")
fi
# Then, on a full run, the example consumer: a separate workspace using @tfjs_export through
# local_repository (every rule: its tfjs_model/tfjs_bundle builds and tfjs_parity_tests), built
# and tested in an empty output base against a local nginx HTTP cache, then again in a second
# empty output base that must take every action from the cache (tools/bazel/remote_cache_test.py).
# A step here rather than a nested `bazel test` inside one of our tests: no Bazel server inside a
# sandbox, and its inputs (examples/consumer is in .bazelignore) cannot be declared to our build.
if [ $# -eq 0 ]; then
  consumer_logs=$(mktemp)
  .venv/bin/python tools/bazel/remote_cache_test.py --testlogs_out "$consumer_logs" || rc=1
  [ ! -s "$consumer_logs" ] || logs+=("$(cat "$consumer_logs")")
  rm -f "$consumer_logs"
fi
# One closing line counting individual test cases (from each target's JUnit XML, in both
# workspaces), since Bazel's own summary counts targets.
.venv/bin/python tools/count_test_cases.py "${logs[@]}" || rc=1
exit $rc

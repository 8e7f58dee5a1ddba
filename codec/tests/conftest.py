"""Shared test setup: hypothesis writes nothing into the (read-only) runfiles."""
import os
import tempfile

os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY",
    os.path.join(os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp(), "hypothesis"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "codec",
    database=None,
    deadline=None,
    max_examples=int(os.environ.get("CODEC_HYPOTHESIS_EXAMPLES", "150")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=True,  # deterministic CI runs
)
settings.load_profile("codec")

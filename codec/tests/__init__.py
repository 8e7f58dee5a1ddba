"""Tests of the codec package (run by `bazel test //codec/...`)."""

#!/bin/sh
# ci/determinism.sh [RUNS] — the whole lab suite RUNS times in a row (default
# 100): every verdict as each lab expects, identical in every run, and
# `check` agreeing with `run`. Bounded: RUNS × the suite's few seconds.
# Needs root and a built tree (make).
set -u
cd "$(dirname "$0")/.." || exit 2
RUNS=${1:-100} B=${B:-build} exec sh tests/integration/labs.sh

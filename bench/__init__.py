"""Signalyard's benchmark suite: `python -m bench [--quick]`; method and runs: bench/README.md."""

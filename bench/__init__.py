"""Benchmarks that run the real service over HTTP (see bench/import_bench.py)."""

"""Example Benchmark: a LEAD framework plugin."""

"""Benchmarks: the `bench_*` management commands that measure imports, admin actions, dashboards and
notices at scale (docs/performance.md). Installed outside production mode only; nothing in the product
imports this app."""

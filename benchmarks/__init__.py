"""On-demand benchmarks: `python -m benchmarks [calls|overhead|startup|fleet]` (never collected by pytest)."""

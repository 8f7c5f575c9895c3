"""standard-stack benchmarks (issue 6): run with `bench/run` or `make bench`; see bench/README.md."""

# Two entry points on a fresh machine: `make demo` and `make test`. Both bootstrap first
# (Python venv, Pulumi CLI built from Go modules, cached outside the repo).
SHELL := /bin/bash
# `eval "$(...)"` would succeed even when the bootstrap fails: keep its exports only if it succeeded.
BOOTSTRAP := exports=$$(bootstrap/bootstrap.sh) && eval "$$exports"

.PHONY: demo sandbox test lint validate bench

demo:
	$(BOOTSTRAP) && python -m demo

sandbox:
	$(BOOTSTRAP) && python -m demo.playground

test: lint
	bootstrap/system-packages.sh
	$(BOOTSTRAP) && python -m sandbox.keycloak prepare && python -m sandbox.azurite prepare && pytest -n 2 --dist loadscope --durations=30

lint:
	$(BOOTSTRAP) && ruff check . && ruff format --check .

validate:
	$(BOOTSTRAP) && ssoprov validate

bench:
	$(BOOTSTRAP) && python -m benchmarks

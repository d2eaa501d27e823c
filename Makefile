# The two commands every newcomer runs: `make env` once, then `make test`.
PY := .venv/bin/python

.PHONY: env test test-fast lint

env:  ## create .venv (pinned OpenMMLab stack, mmcv built from source once and cached)
	bash tools/setup_env.sh

lint: env
	$(PY) -m ruff check projects tools tests configs setup.py

test: env lint  ## the full suite, slow end-to-end tests included (what CI runs)
	$(PY) -m pytest -ra -m "slow or not slow"

test-fast: env  ## unit tests only (the same as a plain `pytest`)
	$(PY) -m pytest -ra

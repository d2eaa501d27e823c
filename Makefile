# The two commands every newcomer runs: `make env` once, then `make test`.
PY := .venv/bin/python
# mmcv flavour: lite (default: mmcv-lite, the ops the toolboxes' common models call served by
# torchvision) or full (mmcv built from source with compiled CPU ops, ~10 min once). Unset: keep
# the flavour of the existing .venv.
MMCV ?=

.PHONY: env test test-fast test-demo test-compiled record-mmcv-reference lint demo

env:  ## create .venv (pinned OpenMMLab stack, cached): `make env`, or `make env MMCV=full`
	bash tools/setup_env.sh $(if $(MMCV),--mmcv $(MMCV))

lint: env
	$(PY) -m ruff check projects tools tests configs demo setup.py

test: env lint  ## the full suite: slow end-to-end tests and the reduced demo included (what CI runs)
	$(PY) -m pytest -ra -m "not compiled" --durations=15

test-fast: env  ## unit tests only (the same as a plain `pytest`): what to run while editing
	$(PY) -m pytest -ra --durations=10

# After a pin change (torch, mmcv, requirements/): builds the full-mmcv venv (about 13 min once),
# re-records the compiled ops into a temporary file and checks that it equals the committed
# tests/data/mmcv_compiled_ops.pt, then runs the tests that need compiled mmcv.
test-compiled: env  ## the full-mmcv checks (CI runs them when the pins changed)
	$(PY) tools/dev/record_mmcv_reference.py --check
	$(PY) -m pytest -ra -m compiled --durations=10

record-mmcv-reference: env  ## re-record tests/data/mmcv_compiled_ops.pt with compiled mmcv
	$(PY) tools/dev/record_mmcv_reference.py

test-demo: env  ## the reduced demo with its learning checks alone (part of `make test`)
	$(PY) -m pytest -ra -m demo

demo: env  ## synthetic data -> face parser + landmarks -> ORSANet -> work_dirs/demo/report/REPORT.md
	$(PY) tools/demo/run_demo.py --work-dir work_dirs/demo

# The optional dlib extra (trained face detector and landmarks for inference; requirements/dlib.txt).
# `make test` installs it so that CI runs the dlib tests.
.PHONY: env-dlib
env-dlib: env  ## add the dlib extra to .venv (cached per machine; pip install '.[dlib]' elsewhere)
	bash tools/setup_extra.sh dlib

# The optional OpenVINO extra (a backend of orsanet.runtime; requirements/openvino.txt, a 60 MB
# wheel). `make test` installs it so that CI runs the OpenVINO tests.
.PHONY: env-openvino
env-openvino: env  ## add the OpenVINO extra to .venv (cached per machine; pip install '.[openvino]' elsewhere)
	bash tools/setup_extra.sh openvino

# The optional openmim extra (`mim train mmpretrain <config>`; requirements/mim.txt). `make test`
# installs it so that CI runs the `mim train` row of the mixing matrix (tests/test_mixing.py).
.PHONY: env-mim
env-mim: env  ## add openmim to .venv (cached per machine; pip install '.[mim]' elsewhere)
	bash tools/setup_extra.sh mim

# The optional MTCNN extra (facenet-pytorch's trained face detector with 5 landmarks, weights in
# the wheel, installed without its dependencies; requirements/mtcnn.txt). `make test` installs it
# so that CI runs the MTCNN tests.
.PHONY: env-mtcnn
env-mtcnn: env  ## add the MTCNN extra to .venv (cached per machine; see requirements/mtcnn.txt elsewhere)
	bash tools/setup_extra.sh mtcnn

test test-fast: env-dlib env-openvino env-mim env-mtcnn

# Two commands on a fresh machine: `make demo` and `make test`. Both set up .venv first.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
# This machine keeps a CPU build of torch on disk; pip finds it here before any CUDA build.
WHEELS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
# llama-cpp-python builds llama.cpp from source: skip its tools and examples (faster build).
export CMAKE_ARGS ?= -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: setup demo test test-fast lint check bench banking77 docs clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install $(WHEELS) -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/shouldtune demo

test: $(STAMP)
	$(PY) -m pytest -q

test-fast: $(STAMP)
	$(PY) -m pytest -q -m "not slow"

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests bench scripts
	$(VENV)/bin/ruff format --check src tests bench scripts
	$(VENV)/bin/mypy

check: lint test

# docs/spec.md's table and docs/report.schema.json are generated: refresh them, then build the
# docs site strictly (a broken link or anchor fails).
docs: $(STAMP)
	$(PY) scripts/update_docs.py
	$(VENV)/bin/mkdocs build --strict --quiet

bench: $(STAMP)
	$(PY) bench/bench_prompt_rungs.py

# The full ladder on a seeded Banking77 subset (../shared/data/banking77), as in the README.
banking77: $(STAMP)
	$(PY) bench/banking77.py

clean:
	rm -rf $(VENV) runs site .pytest_cache .mypy_cache .ruff_cache

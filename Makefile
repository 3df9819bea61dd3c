# Two commands do all the set-up from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NODE   := node_modules/.installed-stamp
WEB    := plugins/collections/ui/static/BUILT

.PHONY: install test demo lint lint-types fix clean mutate messages

install: $(STAMP) $(WEB)

# uv (from PyPI) resolves Airflow's ~180 packages in seconds; constraints.txt
# pins the whole resolved set so every machine gets the same versions.
# --compile-bytecode writes each module's .pyc once, here: uv does not by default, and
# where PYTHONDONTWRITEBYTECODE is set (it is on our CI machines) no process ever
# writes one, so every Airflow process would compile ~2,400 modules from source
# (`airflow version`: 3.3 s uncompiled, 1.6 s compiled, docs/RELIABILITY.md).
$(STAMP): requirements.txt requirements-dev.txt constraints.txt pyproject.toml Makefile
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv==0.13.8
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -r requirements.txt -r requirements-dev.txt -c constraints.txt
	$(BIN)/uv pip install -q --python $(BIN)/python --no-deps -e .
	touch $(STAMP)

# The front end, from the npm registry at the versions package-lock.json pins (`npm ci`, into the gitignored
# node_modules/): Apache ECharts and React, built by esbuild into plugins/collections/ui/static/ (gitignored,
# served at /collections/static/), and axe-core for the browser test's accessibility check (tests/test_ui.py).
# `npm ci` runs again only when package.json or the lock file changes; the build when a source under web/ does.
$(NODE): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE)
$(WEB): $(NODE) $(wildcard plugins/collections/ui/web/*)
	npm run --silent build

# Chromium (the browser test) and a Chinese font (letters' PDFs) come from Debian: installed when missing.
# pytest-xdist runs the suite in TEST_WORKERS processes, a test file each at a time (--dist loadfile: a file's
# module fixtures, such as a generated book or a live Airflow, are made once). Each process has its own
# template database, Airflow home and metadata database (tests/conftest.py). Two workers on this project's
# 2-core machine: 16 min 46 s against 28 min 21 s in one; four took as long as two (README, "Tests").
# TEST_WORKERS=0 runs it in one process.
TEST_WORKERS ?= 2
test: $(STAMP) $(WEB)
	.ci/system-packages
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

demo: $(STAMP) $(WEB)
	.ci/system-packages fonts
	$(BIN)/python -m debt_collections.demo $(if $(DEMO_ONCE),--once,)

# The quality gate: ruff (lint and format, pyproject.toml) over the whole tree, mypy over the package
# (strict on domain/, policy/ and the plan). mypy reads the package by its import name, through a link.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(MAKE) -s lint-types

lint-types: $(STAMP)
	mkdir -p build/typecheck && ln -sfn ../../plugins/collections build/typecheck/debt_collections
	$(BIN)/mypy -p debt_collections

# Rewrites what ruff can fix and formats the tree.
fix: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The Collections pages' catalogs (plugins/collections/ui/locale/*/LC_MESSAGES/messages.po) brought up to date with
# the templates and app.py/pages.py: new messages are added untranslated (tests/test_ui.py fails until they are
# translated). The pages read the .po files themselves (Babel): nothing is compiled or generated.
messages: $(STAMP)
	$(BIN)/python -c "from debt_collections.ui.i18n import update_catalogs; update_catalogs()"

# Mutation testing (docs/RELIABILITY.md, "Mutation testing"; not part of `make test`): the evaluation's SQL
# mutated by .ci/mutate_sql.py, the Python core by mutmut. A full run takes long: MUTATE_AREAS picks areas
# (arrears,cases,actions SQL; domain,policy,plan Python), MUTATE_SAMPLE=N runs N SQL mutants drawn at random,
# MUTATE_RESUME=1 keeps the kills of the last run and runs its survivors again (tests may have been added);
# mutmut keeps its verdicts in mutants/ (rm -rf mutants for a fresh run). MUTATE_PY_SAMPLE draws that many
# mutants of policy/ and plan.py at random (a full run of them takes hours on two cores: every test loads a
# policy); MUTATE_PY_SAMPLE= runs them all. MUTATE_LINES='actions/plan.sql:120-131' runs only the SQL mutants of
# those lines (after an edit; several spans separated by spaces).
MUTATE_AREAS ?= arrears,cases,actions,domain,policy,plan
MUTATE_JOBS  ?= 2
MUTATE_PY_SAMPLE ?= policy=80,plan=80
mutate: $(STAMP)
	$(BIN)/python .ci/mutate_sql.py --areas $(MUTATE_AREAS) --jobs $(MUTATE_JOBS) \
		$(if $(MUTATE_SAMPLE),--sample $(MUTATE_SAMPLE),) $(if $(MUTATE_RESUME),--resume,) \
		$(foreach span,$(MUTATE_LINES),--lines $(span))
	$(BIN)/python .ci/mutate_py.py --areas $(MUTATE_AREAS) --max-children $(MUTATE_JOBS) $(if $(MUTATE_RESUME),--recheck,) \
		$(if $(MUTATE_PY_SAMPLE),--sample $(MUTATE_PY_SAMPLE),)

clean:
	rm -rf $(VENV) .demo build mutants debt_collections node_modules plugins/collections/ui/static

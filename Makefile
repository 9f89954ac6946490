# The two commands of the README, plus helpers.
.PHONY: demo test setup lint bench sample

demo:            ## set up and open the review window on the bundled sample (screenshot if no display)
	scripts/demo.sh

test:            ## set up and run lint, contracts, type check and the tests
	scripts/test.sh

setup:
	scripts/setup.sh

lint:
	.venv/bin/ruff check . && .venv/bin/lint-imports && .venv/bin/mypy core models app bench

bench:           ## all benchmarks (long; results go to docs/benchmarks.md by hand)
	for b in bench/*.py; do .venv/bin/python -m bench.$$(basename $$b .py) || exit 1; done

sample:          ## rebuild resources/sample from the shared openly licensed media
	scripts/make_sample.sh

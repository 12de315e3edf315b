# The two commands a newcomer needs (see README.md).
.PHONY: demo test bench fmt

demo:  ## set up, build, install into a local PostgreSQL 15 and run the CDNOW demo
	bash scripts/demo.sh

test:  ## set up, then run every test: core unit tests, pgrx tests, golden SQL tests
	bash scripts/test.sh

bench: ## the benchmark of BENCHMARKS.md (ROWS=10000000 for 10 M rows)
	bash bench/run.sh $(ROWS)

fmt:
	cargo fmt --all

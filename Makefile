# Shortcuts; each target is a script in scripts/ so the same steps run without make.
.PHONY: demo test lint format bench clean

demo:
	scripts/demo

test:
	scripts/test

lint:
	scripts/lint

format:
	scripts/bootstrap dev && .venv/bin/ruff format streamdeck_tui tests benchmarks && .venv/bin/ruff check --fix streamdeck_tui tests benchmarks

bench:
	scripts/bootstrap dev && .venv/bin/python -m benchmarks

clean:
	rm -rf .venv build dist .pytest_cache .mypy_cache .ruff_cache

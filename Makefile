# The two commands a newcomer needs: `make up` (start everything) and `make test`.
SHELL := /bin/bash
UV_VERSION := 0.13.9

.PHONY: install up down logs status test servers nginx browser migrate lint trace bench drills probe

install: ## install the project's Python environment from uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	@python3 -m uv sync --all-packages --frozen --quiet

servers: ## start local RabbitMQ, PostgreSQL and Redis if they are stopped
	@deploy/local/ensure-servers.sh

nginx: ## install Debian's nginx if missing (the proxy tests start a private one)
	@deploy/local/ensure-nginx.sh

browser: ## Debian's chromium, chromium-l10n and fonts-noto-cjk for tests/browser, when missing
	@deploy/local/ensure-browser.sh

up: install ## start every service and the gateway in the background
	@deploy/local/up.sh

down: ## stop what `make up` started
	@deploy/local/down.sh

status:
	@STACK_ROOT=$(CURDIR) STACK_VAR=$(CURDIR)/var STACK_PYTHON=.venv/bin/python ACCOUNTS_REPLICAS=1 OTP_REPLICAS=1 VERIFICATION_REPLICAS=1 RECOVERY_REPLICAS=1 SSO_REPLICAS=1 \
	  .venv/bin/supervisorctl -c deploy/local/supervisord.conf status

logs: ## follow every process's JSON log
	@tail -n 20 -F var/log/*-*.log

# make trace ID=<request id> [LOGS="var/log other/dir"] [ARGS=--verbose]
trace: ## print the path of one request across every service, from the logs
	@test -n "$(ID)" || { echo "usage: make trace ID=<request id> [LOGS=var/log] [ARGS=--verbose]" >&2; exit 2; }
	@.venv/bin/python -m servicekit.trace $(ARGS) -- "$(ID)" $(or $(LOGS),var/log)

test: install servers nginx browser lint ## lint, then every test tier against the real servers (and in Chromium)
	@.venv/bin/python -m pytest tests

lint: install ## ruff with the rule set in pyproject.toml (complexity <= 10), and the formatter's check
	@.venv/bin/ruff check libs services tests bench
	@.venv/bin/ruff format --check libs services tests bench

# make bench [ARGS="--fresh --only login,names --seconds 6"]  (needs `make up`, or --fresh)
bench: install ## every benchmark scenario against the running stack, one table (bench/README.md)
	@.venv/bin/python -m bench.run $(ARGS)

# make drills [ARGS=--short]  (starts its own stack and private servers)
drills: install ## fault drills under registration load: lost and applied twice must be 0
	@.venv/bin/python -m bench.drills $(ARGS)

# make probe [ARGS="--fresh --only registration,names"]  (needs `make up`, or --fresh)
probe: install ## issue 12's attacker probe, taken again: what an anonymous client learns or costs
	@.venv/bin/python -m bench.probe $(ARGS)

"""Codex CLI sessions (SOURCES.md §5): the sixth source, as one package.

adapter.py (where rollout files are, event time), rules.py (which lines count, ccusage 20.0.24's rules),
normalize.py (turns), tables.py (sessions, rate-limit bars as capacity), prices.json (prices and cost rules,
applied by the shared `turn_costs` view), pricing.py (the `codex daily --json` report), demo.py (a small demo
writer). README.md says what is not ported and why.
"""

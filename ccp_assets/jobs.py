"""Job names, spelled once: definitions, the ingest sensor, the nightly schedule and `ccp materialize`
all refer to the daily job by this constant (a typo in one of them used to start nothing, silently)."""

DAILY_JOB_NAME = "ccp_daily"

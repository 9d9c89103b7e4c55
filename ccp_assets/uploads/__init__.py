"""Uploads: what leaves the machine, when, and how (PRODUCT.md "Privacy tiers", INTERFACES.md "Aggregator").

- `gate`: the effective tier (license-capped), the aggregator URL and the drift status of a day;
- `payloads`: the minimized summary and the full tier's redacted, hashed events;
- `outbox`: the durable SQLite outbox (`$CCP_HOME/outbox.sqlite`) with content-derived idempotency keys;
- `enqueue`: queue a day's payloads per tier; `sender`: drain the outbox over HTTP (httpx + stamina);
- `service.run_upload`: one pass (queue missing rollup days, then drain), what `ccp upload` and the sensor's
  job run; `retention` and `license_watch`: the landing zone's retention and the license sensor's state.
Nothing here imports httpx at module level: the local tier never creates an HTTP client.
"""

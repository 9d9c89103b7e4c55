"""Operational tables of the warehouse: the landing ledger, quarantine, prices, check results and the schema
version. They are the product's own bookkeeping, not evidence; every column says what it holds."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import create_model

from ccp_assets.model.fields import Row, col, key


class LandingFile(Row):
    """One landed file of a source: how far it has been read (bytes and lines) and how it is recognised."""

    source: str = key("source the file belongs to (claude_code, ccp_proxy, agentos, ccc, repo, ...)")
    path: str = key("absolute path of the file as discovered")
    dev: int | None = col("device number of the file (st_dev): part of its identity", sql="UBIGINT")
    ino: int | None = col("inode number of the file (st_ino): part of its identity", sql="UBIGINT")
    head_len: int | None = col("how many leading bytes `head_hash` covers", ge=0)
    head_hash: str | None = col("SHA-1 of the file's first bytes: a rewritten file gets a new one")
    byte_offset: int | None = col("bytes landed so far: the next read starts here", ge=0)
    line_no: int | None = col("lines landed so far", ge=0)
    size: int | None = col("file size in bytes when last read", ge=0)
    mtime: float | None = col("file modification time (epoch seconds) when last read")
    last_ts: datetime | None = col("latest event time seen in the file")
    updated_at: datetime | None = col("when this ledger row was last written")


class LandingBatch(Row):
    """One committed landing batch: its Parquet files, ledger and quarantine rows committed together."""

    batch_id: int = key("increasing batch number; Parquet files above the last committed one are leftovers")
    source: str | None = col("source landed by the batch")
    committed_at: datetime | None = col("when the batch committed")
    files: int | None = col("files read by the batch", ge=0)
    lines: int | None = col("lines landed by the batch", ge=0)
    bytes: int | None = col("bytes read by the batch", ge=0)
    days: list[str] | None = col("partition days (YYYY-MM-DD) the batch landed lines for")


class QuarantineRow(Row):
    """A line, record or document that was not taken, with where it is and why (nothing is dropped silently)."""

    source: str | None = col("source of the rejected input")
    stage: str | None = col("stage that refused it: landing | normalize")
    kind: str | None = col("class of problem, e.g. invalid_json, wrong_type, empty_object, unknown_type")
    file: str | None = col("provenance: source file")
    byte_offset: int | None = col("provenance: byte offset of the line in the file", ge=0)
    line_no: int | None = col("provenance: line number in the file", ge=1)
    day: date | None = col("partition day the input belongs to")
    reason: str | None = col("why it was not taken, in words")
    excerpt: str | None = col("the first characters of the input (at most 160)")
    state: str | None = col("rejected | skipped (counted, not an error) | held (incomplete tail line)")
    recorded_at: datetime | None = col("when the row was written")


def _rates() -> dict[str, Any]:
    """The price columns `prices` and `source_prices` share, in warehouse order (one place to add a token kind)."""
    usd = {"input": "uncached input", "output": "output", "cache_write_5m": "5-minute cache-write",
           "cache_write_1h": "1-hour cache-write", "cache_read": "cache-read"}
    return {
        **{c: (float | None, col(f"USD per million {what} tokens", ge=0)) for c, what in usd.items()},
        "lc_threshold": (int | None, col("long-context tier: tokens per request above which the lc_* prices apply",
                                         ge=0)),
        **{f"lc_{c}": (float | None, col(f"long-context USD per million {what} tokens".replace(
            "uncached ", ""), ge=0)) for c, what in usd.items()},
    }


PriceRow = create_model(
    "PriceRow", __base__=Row, __module__=__name__,
    __doc__="One model's USD prices per million tokens, from the versioned price table shipped in the package.",
    model=(str, key("model name, or an alias of one (a copy of its target's prices)")),
    provider=(str | None, col("provider selling the model (anthropic, zai, openai, ...)")),
    **_rates(),
    price_version=(str | None, col("version of the price table the row came from")),
    fast_multiplier=(float | None, col("price multiplier of the model's fast mode (`<model>-fast`)", ge=0)),
)

SourcePriceRow = create_model(
    "SourcePriceRow", __base__=Row, __module__=__name__,
    __doc__="""One model's USD prices per million tokens under one source's own rules (the `prices.json` of its package,
    sources/<package>/prices.json): a turn of that source is priced from these rows, not from `prices`.""",
    source=(str, key("the `source` of the turns these prices are for (codex)")),
    model=(str, key("model name as the source writes it; an alias label; `<missing>` is a turn without a model")),
    valid_from=(date, key("first UTC day the row applies (an alias label follows a timeline); 0001-01-01: always")),
    valid_to=(date | None, col("first UTC day the row no longer applies (its timeline's next step); null: open")),
    priced_as=(str | None, col("the model whose prices these are (the row's own model, or an alias's target)")),
    provider=(str | None, col("provider selling the model (openai, ...)")),
    **_rates(),
    lc_basis=(Literal["per_kind", "request_input"] | None, col(
        "how the long-context tier applies: per_kind (the tokens of a kind above the threshold), request_input "
        "(every token of the request once its input, cached included, is above the threshold)")),
    fast_multiplier=(float | None, col("price multiplier of the model's fast tier (`<model>-fast`)", ge=0)),
    price_version=(str | None, col("version of the source's price table the row came from")),
)


class CheckResult(Row):
    """One evaluation of a data-quality check on one source and day; a failed latest one withholds the day."""

    check_name: str | None = col("Dagster asset check name")
    asset: str | None = col("asset the check belongs to")
    suite: str | None = col("expectation suite (a warehouse table name)")
    source: str | None = col("source whose rows were checked")
    day: date | None = col("partition day checked")
    passed: bool | None = col("true when every expectation held")
    summary: str | None = col("one line saying what failed (masked), or that all passed")
    report: Any = col("the full report: expectations, failures, observed values")
    run_id: str | None = col("Dagster run that evaluated it")
    evaluated_at: datetime | None = col("when it was evaluated")


class ColumnProfile(Row):
    """Null counts per column of one checked table, source and day: the history the not-null rule learns from."""

    suite: str = key("expectation suite (a warehouse table name)")
    source: str = key("source whose rows were profiled")
    day: date = key("partition day profiled")
    column: str = key("column profiled")
    rows: int | None = col("rows of the source on the day", ge=0)
    nulls: int | None = col("rows where the column is null", ge=0)
    passed: bool | None = col("whether the day's check passed (only passing days teach the rule)")


class PartitionStat(Row):
    """Lines landed and quarantined per source and day: the base of the quarantine-share expectations."""

    source: str = key("source")
    day: date = key("partition day")
    lines: int | None = col("lines of the source on the day", ge=0)
    quarantined: int | None = col("of them quarantined", ge=0)
    share: float | None = col("quarantined / lines", ge=0)


class CcDedupKey(Row):
    """Each day's best Claude Code line per response key (message.id, requestId), kept as the day is normalized:
    ccusage dedups over its whole scan, so a response repeated days apart is decided over every day's row here
    without reading another day's transcripts (sources/claude_code_normalize.py, CCUSAGE_ORDER)."""

    dedup_key: str | None = col("the response key (DEDUP_KEY: message id and request id, or the main chain's)")
    day: date | None = col("partition day of the line")
    turn_id: str | None = col("the turn the line makes on that day")
    sidechain: bool | None = col("a sidechain line (a main-chain line wins over it)")
    total: int | None = col("input + output + cache tokens of the line (the larger wins)", ge=0)
    cost_usd: float | None = col("the line's costUSD, when it carries one (the larger wins next)")
    fast: bool | None = col("the line carries usage.speed (wins next)")
    file: str | None = col("transcript file (then the first file in path order wins)")
    byte_offset: int | None = col("byte offset of the line in its file", ge=0)


class DayChange(Row):
    """A day whose rows a run over *other* days changed (a response repeated days later wins there, so its copy
    is deleted here): the day's measurements and rollups are stale until it runs again. `ccp materialize` and its
    "nothing new" path treat `changed_at` like a landing time (runs.landed_at)."""

    day: date | None = col("the day whose rows changed")
    source: str | None = col("the source whose normalizer changed them")
    changed_at: datetime | None = col("when (UTC)")
    reason: str | None = col("why, in a few words")


class CostDaily(Row):
    """Tokens of each kind and estimated USD per day, source, provider and model (every source's rows priced)."""

    day: date | None = col("partition day")
    source: str | None = col("source of the turns")
    provider: str | None = col("provider of the model")
    model: str | None = col("model as the source recorded it")
    turns: int | None = col("turns (model calls)", ge=0)
    input_tokens: int | None = col("uncached input tokens", ge=0)
    output_tokens: int | None = col("output tokens", ge=0)
    cache_creation_5m_tokens: int | None = col("5-minute cache-write tokens", ge=0)
    cache_creation_1h_tokens: int | None = col("1-hour cache-write tokens", ge=0)
    cache_read_tokens: int | None = col("cache-read tokens", ge=0)
    input_usd: float | None = col("USD for input tokens", ge=0)
    output_usd: float | None = col("USD for output tokens", ge=0)
    cache_write_usd: float | None = col("USD for cache writes (5m and 1h)", ge=0)
    cache_read_usd: float | None = col("USD for cache reads", ge=0)
    estimated_usd: float | None = col("estimated USD in total (a line's own costUSD when it carries one)", ge=0)
    priced: bool | None = col("false when a model had no price (it then costs 0 and is named in errors)")
    price_version: str | None = col("version of the price table used")


class WarehouseSchema(Row):
    """Which version of the contract's DDL the warehouse file has: the DDL runs only when it changes."""

    version: str | None = col("hash of the DDL, views and price table the warehouse was brought to")
    applied_at: datetime | None = col("when that version was applied")

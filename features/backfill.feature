@id:backfill
Feature: A backfill over a date range is one Dagster run, and repeatable

  Scenario: Three days in one run, twice
    Given the real Claude Code fixture transcripts
    When I materialize 2026-02-10 to 2026-02-12
    Then exactly one run covered the three days
    And the daily and weekly summaries exist
    When I materialize 2026-02-10 to 2026-02-12
    Then no rollup file changed

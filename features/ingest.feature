@id:ingest
Feature: Ingest Claude Code transcripts once, exactly as ccusage counts them
  Raw transcripts land incrementally and immutably; the warehouse answers the daily question.

  Scenario: The daily report equals ccusage on real transcripts
    Given the real Claude Code fixture transcripts
    When I run ccp materialize
    Then the daily report equals ccusage's daily report for every day and model

  Scenario: Appended lines land exactly once and survive the source being deleted
    Given a transcript cut in the middle of a line
    When I run ccp materialize
    And the rest of the transcript is appended
    And I run ccp materialize
    Then every line of the transcript is landed exactly once
    When the source transcripts are deleted
    And I run ccp materialize
    Then the daily report still equals ccusage's main-session report

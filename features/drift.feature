@id:drift-blocking
Feature: Schema drift is caught at the boundary and blocks only its day

  Scenario: Tokens arriving as strings on one day
    Given a clean day of transcripts on 2026-02-10
    And a day on 2026-02-12 whose input_tokens arrive as strings and output_tokens is renamed
    When I run ccp materialize
    Then ccp materialize fails naming "input_tokens" for 2026-02-12
    And the summary of 2026-02-10 is written
    And nothing downstream of 2026-02-12 is written

@id:quarantine
Feature: Bad lines go to quarantine with a reason, and never stop the day

  Scenario: Garbage, non-UTF-8, unknown and unfinished lines
    Given a real transcript with a garbage line, a non-UTF-8 line, a line of unknown type and an unfinished last line
    When I run ccp materialize
    Then the run succeeds
    And the quarantine names "invalid JSON", "not UTF-8", "unknown line type" and "held" lines with their line numbers

@id:aggregator-idempotency
Feature: The aggregator stores each upload exactly once

  Scenario: A repeated Idempotency-Key replays the first answer
    Given a running aggregator on 127.0.0.1 trusting an operator key
    When a minimized summary is posted twice with the same Idempotency-Key
    Then both answers are the same 202
    And the aggregator stored it once

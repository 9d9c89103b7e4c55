@id:nightly-schedule
Feature: The nightly schedule rolls up yesterday without anyone switching it on

  Scenario: Running by default, targeting yesterday
    Given the code location
    Then the nightly schedule is RUNNING by default
    And at 02:00 on 2026-02-13 it asks for the partition 2026-02-12

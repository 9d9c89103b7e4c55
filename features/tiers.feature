@id:privacy-tiers
Feature: Only what the privacy tier and the signed license allow ever leaves the machine

  Scenario: Local tier sends nothing, not even a DNS lookup
    Given the real Claude Code fixture transcripts
    And a license allowing full telemetry but the local tier requested
    And a running aggregator that records every request
    When I materialize and upload in-process under a socket audit
    Then no network socket was opened
    And the aggregator received nothing

  Scenario: Minimized tier sends only allow-listed numbers
    Given transcripts with planted secrets
    And a license allowing minimized telemetry and the minimized tier requested
    And a running aggregator that records every request
    When I run ccp materialize
    And I run ccp upload
    Then the aggregator stored only minimized summaries without any identifying string

  Scenario: Full tier redacts every planted secret
    Given transcripts with planted secrets
    And a license allowing full telemetry and the full tier requested
    And a running aggregator that records every request
    When I run ccp materialize
    And I run ccp upload
    Then events were stored and no planted secret is in any stored byte

  Scenario: The upload sensor starts the sender when rollups are new
    Given the real Claude Code fixture transcripts
    And a license allowing minimized telemetry and the minimized tier requested
    And a running aggregator that records every request
    When I run ccp materialize
    And the upload sensor ticks
    Then it launches the sender, which delivers every day once

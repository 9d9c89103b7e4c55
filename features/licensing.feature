@id:licensing
Feature: Licenses are verified offline; anything unverifiable is denied

  Scenario: Accept a pack signed by a trusted key, even re-spaced
    Given an operator key trusted by this machine
    And a license pack it signed
    Then ccp license verify accepts the pack
    And ccp license verify accepts the pack re-spaced

  Scenario: Deny a forged pack and the AgentOS placeholders
    Given an operator key trusted by this machine
    And a license pack it signed
    When the plan in the pack is changed to "enterprise"
    Then ccp license verify rejects it saying "signature mismatch"
    And ccp license verify rejects every AgentOS placeholder pack

  Scenario: Rotate keys: old and new kid both trusted
    Given an operator key trusted by this machine
    And a second operator key trusted by this machine
    Then packs signed by either key verify

  Scenario: A revoked license id is denied
    Given an operator key trusted by this machine
    And a license pack it signed
    When the operator revokes that license id
    Then ccp license verify rejects it saying "revoked"

  Scenario: A policy pack cannot be rolled back
    Given an operator key trusted by this machine
    And policy version 5 is installed
    When policy version 4 is offered
    Then it is refused as a rollback and version 5 stays

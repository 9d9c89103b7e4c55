"""The team's repository (commits, BDD features, JUnit): adapter, normalizer, values, source contract, demo."""

"""AgentOS tracker ledgers: adapter, normalizer (windows, side ledgers, documents), source contract, demo writer."""

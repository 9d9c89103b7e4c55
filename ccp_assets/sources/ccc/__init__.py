"""The AgentOS CCC client's event log: adapter, normalizer, the source contract and the demo writer."""

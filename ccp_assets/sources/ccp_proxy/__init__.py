"""The CCP routing proxy's usage logs and METRICS summaries: adapter, normalizer, the source contract, demo writer."""

"""Claude Code transcripts: adapter, normalizer (rules, timing), the source contract and the demo writer."""

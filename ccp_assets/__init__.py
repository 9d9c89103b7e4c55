"""ccp-assets: what AI coding agents really cost and deliver, as a Dagster asset graph."""

"""Seeded generator of realistic demo data for every source (`ccp demo-data`)."""

from ccp_assets.demo.generate import DemoManifest, write_demo_data

__all__ = ["DemoManifest", "write_demo_data"]

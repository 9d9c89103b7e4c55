"""`python -m ccp_assets.aggregator serve ...`: the same command as `ccp aggregator serve`."""

from ccp_assets.cli.aggregator_cmd import aggregator_app

if __name__ == "__main__":
    aggregator_app(prog_name="ccp aggregator")

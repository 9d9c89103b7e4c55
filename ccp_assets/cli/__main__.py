from ccp_assets.cli.main import main

main()

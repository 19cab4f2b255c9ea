from riskctl.cli.app import main

main()

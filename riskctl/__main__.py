from riskctl.cli.entry import main

main()

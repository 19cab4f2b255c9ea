"""Dense, surprising blocks of accounts acting together on the same entities: `riskctl discover`."""

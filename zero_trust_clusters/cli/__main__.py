"""`python -m zero_trust_clusters.cli` is the `ztc` command."""

from zero_trust_clusters.cli.main import main

main()

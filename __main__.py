"""Entry point the Pulumi CLI runs; everything lives in the ssoprov package (folder components/)."""

from ssoprov.program import main

main()

"""Entry point the Pulumi CLI runs; everything lives in the components package."""

from components.program import main

main()

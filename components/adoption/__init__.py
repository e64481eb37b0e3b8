"""Adoption: bring a connection made by hand under management (`ssoprov adopt`).

Readers turn what a service holds into spec keys plus the extras the spec cannot express; the
command writes the stack file, records every object in the stack's state through each provider's
own read (the providers' `adopt` input), and checks that a preview then has nothing to change.
"""

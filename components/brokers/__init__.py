"""SSO brokers: the interface every broker implements, and the brokers' API clients."""

"""The WorkOS broker: a client over the workos SDK, the connection resource, the Broker itself."""

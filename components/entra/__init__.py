"""Entra ID (Microsoft Graph): app registrations, client secrets, service principals, assignments.

`graph_client.GraphClient` is the async Graph client the dynamic providers call; it holds no
Pulumi code. `graph_auth` decides where calls go: the real Microsoft Graph with
DefaultAzureCredential, or the loopback sandbox when `SSOPROV_GRAPH_URL` is set.
"""

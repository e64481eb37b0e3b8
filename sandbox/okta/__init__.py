"""A stand-in for Okta's management API that the real okta SDK talks to.

It keeps Okta's contract (paths, JSON shapes, status codes, E-coded error bodies, rate-limit
headers) over an in-memory org (`store.OktaStore`), seeded with users and groups (`seed`);
`app.build_okta_standin()` assembles it on the shared recording and fault machinery.
"""

"""Build a stand-in's ASGI app with recording, fault injection and a control API.

The control API lives under `/_sandbox/` so a test in another process (the demo, the fleet
tool's tests) can read the call log and switch faults over HTTP:

- `GET /_sandbox/calls`, `DELETE /_sandbox/calls`
- `PUT /_sandbox/faults` with a JSON body of `FaultSettings` fields; `DELETE` resets
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from sandbox.common.calls import CallLog
from sandbox.common.faults import FaultInjector

CONTROL_PREFIX = "/_sandbox/"

FaultRenderer = Callable[[str, float | int], Response]
"""Turns ("throttle", wait) or ("server_error", status) into the service's own error response."""


class StandIn:
    """One stand-in service: its routes plus the shared recording and fault machinery."""

    def __init__(self, routes: list[BaseRoute], render_fault: FaultRenderer) -> None:
        self.calls = CallLog()
        self.faults = FaultInjector()
        self._render_fault = render_fault
        control = [
            Route(CONTROL_PREFIX + "calls", self._calls_endpoint, methods=["GET", "DELETE"]),
            Route(CONTROL_PREFIX + "faults", self._faults_endpoint, methods=["PUT", "DELETE"]),
        ]
        self.app: ASGIApp = _RecordingMiddleware(Starlette(routes=control + routes), self)

    async def _calls_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.calls.clear()
            return Response(status_code=204)
        return JSONResponse(self.calls.as_json())

    async def _faults_endpoint(self, request: Request) -> Response:
        if request.method == "DELETE":
            self.faults.reset()
            return Response(status_code=204)
        settings = self.faults.configure(**json.loads(await request.body() or b"{}"))
        return JSONResponse(asdict(settings))


class _RecordingMiddleware:
    """Records every service call and answers injected faults before the route runs."""

    def __init__(self, app: ASGIApp, stand_in: StandIn) -> None:
        self._app = app
        self._stand_in = stand_in

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self._app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        query = scope.get("query_string", b"").decode()

        async def send_recording(message: dict) -> None:
            # Record before the answer leaves, so a client never sees a response its call log lacks.
            if message["type"] == "http.response.start":
                self._stand_in.calls.record(method, path, query, message["status"])
            await send(message)

        fault = self._stand_in.faults.next_fault(method, path)
        if fault is not None:
            await self._stand_in._render_fault(*fault)(scope, receive, send_recording)
        else:
            await self._app(scope, receive, send_recording)

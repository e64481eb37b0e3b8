"""Pulumi's mocked runtime for wiring tests: no engine, no provider, every registration recorded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pulumi

DYNAMIC = "pulumi-python:dynamic"
"""The type prefix of every dynamic resource: `pulumi-python:dynamic/<module>:<name>`."""


class RecordingMocks(pulumi.runtime.Mocks):
    """Each resource's id is `<name>-id` and its outputs are its inputs, plus what `outputs` returns
    for it: what the provider's create would have added."""

    def __init__(self, outputs: Callable[[pulumi.runtime.MockResourceArgs], dict[str, Any]] | None = None):
        self.resources: list[pulumi.runtime.MockResourceArgs] = []
        self._outputs = outputs or (lambda _args: {})

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        self.resources.append(args)
        return f"{args.name}-id", {**args.inputs, **self._outputs(args)}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict:
        return {}

    def of_type(self, module: str, name: str) -> dict[str, dict[str, Any]]:
        """The inputs of the dynamic resources of `module:name`, by resource name."""
        return {r.name: r.inputs for r in self.resources if r.typ == f"{DYNAMIC}/{module}:{name}"}


@contextmanager
def mocked_runtime(mocks: pulumi.runtime.Mocks) -> Iterator[None]:
    """`mocks` installed on an event loop of their own (the mocked runtime wants a current one,
    and an earlier `asyncio.run` leaves none); the runtime's globals reset afterwards."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(mocks, preview=False)
    try:
        yield
    finally:
        pulumi.runtime.settings.reset_options()
        asyncio.set_event_loop(None)
        loop.close()

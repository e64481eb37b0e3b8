"""Record the engine's resource steps in order, from the Automation API's event stream."""

from __future__ import annotations

from dataclasses import dataclass, field

from pulumi.automation import EngineEvent


@dataclass
class StepLog:
    steps: list[tuple[int, str, str]] = field(default_factory=list)
    """(sequence, op, resource name) of each finished step."""

    def __call__(self, event: EngineEvent) -> None:
        if event.res_outputs_event is not None:
            metadata = event.res_outputs_event.metadata
            self.steps.append((event.sequence, str(metadata.op.value), metadata.urn.rsplit("::", 1)[-1]))

    def ordered(self) -> list[tuple[str, str]]:
        return [(op, name) for _, op, name in sorted(self.steps)]

    def index(self, op: str, name: str) -> int:
        """Position of the step `op` on resource `name` (ValueError if it did not happen)."""
        return self.ordered().index((op, name))

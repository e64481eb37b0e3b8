"""A minimal program with one dynamic resource whose provider writes a file: the engine check."""

import pulumi

from tests.engine.file_resource import TextFile

config = pulumi.Config()
note = TextFile("note", path=config.require("path"), text=config.require("text"))
pulumi.export("path", note.path)

"""A dynamic resource that manages a text file: enough to prove create, diff, read, update, delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, Resource, ResourceProvider, UpdateResult

from ssoprov.dynamic import exact_diff, gone


class _TextFileProvider(ResourceProvider):
    def create(self, props: dict[str, Any]) -> CreateResult:
        Path(props["path"]).write_text(props["text"])
        return CreateResult(id_=props["path"], outs={"path": props["path"], "text": props["text"]})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> Any:
        return exact_diff(olds, news, update_keys=["text"], replace_keys=["path"])

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        Path(news["path"]).write_text(news["text"])
        return UpdateResult(outs={"path": news["path"], "text": news["text"]})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        path = Path(id_)
        if not path.exists():
            return gone()
        return ReadResult(id_, {"path": id_, "text": path.read_text()})

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        Path(id_).unlink(missing_ok=True)


class TextFile(Resource):
    path: pulumi.Output[str]
    text: pulumi.Output[str]

    def __init__(self, name: str, *, path: str, text: str) -> None:
        super().__init__(_TextFileProvider(), name, {"path": path, "text": text})

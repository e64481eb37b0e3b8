"""Read a stack file exactly as the Pulumi engine reads it.

The Pulumi CLI (Go) loads Pulumi.<stack>.yaml with gopkg.in/yaml.v3 into untyped values
(sdk/v3 go/common/workspace/loaders.go, LoadProjectStackBytes) and hands an object config value
to the program as JSON (go/common/resource/config: object.go, plaintext.go). PyYAML's loader
follows YAML 1.1 and disagrees with that on what matters here: it accepts duplicate keys (the
engine refuses the file), reads `NO` and `on` as booleans (text to the engine) and `0o17` as
text (a number to the engine). A date such as `2024-01-01` even changes type twice: the engine
decodes a timestamp and passes the program its Go rendering, "2024-01-01 00:00:00 +0000 UTC".

So only PyYAML's parser is used here (the syntax is the same: both are ports of libyaml), and
what the parser reports is resolved and built with yaml.v3's rules (resolve.go, decode.go at
v3.0.1): the same tags for plain scalars, the same duplicate-key rule, merge keys, anchors and
the same guard against alias bombs. The result is the config the program will receive, plus
where each value came from (line, text as written, the type YAML gave it).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml import events

from ssoprov.spec.yaml_scalars import (
    MERGE,
    TEXT,
    TIMESTAMP_TAG,
    TYPED_KINDS,
    ScalarError,
    go_key_text,
    go_time_string,
    resolve_scalar,
    short_tag,
)

KeyPath = tuple[str | int, ...]
"""Where a value sits in the document: mapping keys and sequence indexes from the top."""


class EngineYamlError(Exception):
    """The engine refuses this file: what it would say, rephrased with the fix."""

    def __init__(self, message: str, fix: str, *, line: int | None = None, path: KeyPath = ()) -> None:
        super().__init__(message)
        self.message, self.fix, self.line, self.path = message, fix, line, path


@dataclass(frozen=True)
class Source:
    """Where one value came from, and the type YAML gave a scalar (TEXT when it stayed text)."""

    line: int
    text: str | None = None
    kind: str = TEXT


@dataclass
class EngineDocument:
    value: Any
    """The document as the program receives it: plain dicts, lists, str, int, float, bool, None."""
    sources: dict[KeyPath, Source] = field(default_factory=dict)
    problems: list[EngineYamlError] = field(default_factory=list)
    """Whatever makes the engine refuse the file (duplicate keys, keys that are not text, ...)."""


# ----------------------------------------------------------------------------------------------
# Nodes, built from PyYAML's parser events


@dataclass(eq=False)
class _Node:
    kind: str  # "scalar" | "mapping" | "sequence" | "alias"
    line: int
    tag: str = ""
    value: str = ""
    plain: bool = True
    children: list[_Node] = field(default_factory=list)
    anchor: str = ""


class _Peekable:
    """Parser events with one event of look-ahead."""

    def __init__(self, iterator: Iterator[events.Event]) -> None:
        self._iterator, self._next = iterator, None

    def __iter__(self) -> _Peekable:
        return self

    def __next__(self) -> events.Event:
        if self._next is not None:
            event, self._next = self._next, None
            return event
        return next(self._iterator)

    def peek(self) -> events.Event:
        if self._next is None:
            self._next = next(self._iterator)
        return self._next


def _compose(stream: _Peekable, anchors: dict[str, _Node]) -> _Node:
    event = next(stream)
    line = event.start_mark.line + 1
    if isinstance(event, events.AliasEvent):
        if event.anchor not in anchors:
            raise EngineYamlError(
                f"refers to an unknown anchor *{event.anchor}",
                "define the &anchor before using it",
                line=line,
            )
        return _Node("alias", line, children=[anchors[event.anchor]], anchor=event.anchor)
    if isinstance(event, events.ScalarEvent):
        node = _Node("scalar", line, short_tag(event.tag), event.value, plain=not event.style)
    elif isinstance(event, events.SequenceStartEvent | events.MappingStartEvent):
        kind = "sequence" if isinstance(event, events.SequenceStartEvent) else "mapping"
        node = _Node(kind, line, short_tag(event.tag))
        end = events.SequenceEndEvent if kind == "sequence" else events.MappingEndEvent
        # Register before the children: yaml.v3 does, and reports a self-reference when decoding.
        if event.anchor:
            anchors[event.anchor] = node
        while not isinstance(stream.peek(), end):
            node.children.append(_compose(stream, anchors))
        next(stream)
        return node
    else:
        raise EngineYamlError(f"unexpected YAML event {event}", "fix the YAML syntax", line=line)
    if event.anchor:
        anchors[event.anchor] = node  # yaml.v3 lets a later anchor of the same name win
    return node


def _first_document(text: str) -> _Node | None:
    """The first document's root node (yaml.Unmarshal reads only the first), None when empty."""
    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    stream = _Peekable(iter(yaml.parse(text, Loader=loader_class)))
    next(stream)  # StreamStart
    if isinstance(stream.peek(), events.StreamEndEvent):
        return None
    next(stream)  # DocumentStart
    return _compose(stream, {})


# ----------------------------------------------------------------------------------------------
# Decoding: yaml.v3's decoder into interface{}, then the engine's JSON hand-over


def _resolve(node: _Node) -> tuple[str, Any]:
    try:
        return resolve_scalar(node.tag, node.value, plain=node.plain)
    except ScalarError as exc:
        raise EngineYamlError(exc.message, exc.fix, line=node.line) from None


def _alias_ratio_allowed(decoded: int) -> float:
    low, high = 400_000, 4_000_000
    if decoded <= low:
        return 0.99
    if decoded >= high:
        return 0.10
    return 0.99 - 0.89 * (decoded - low) / (high - low)


@dataclass
class _Decoder:
    document: EngineDocument
    decoded: int = 0
    via_alias: int = 0
    alias_depth: int = 0
    expanding: set[int] = field(default_factory=set)

    def decode(self, node: _Node, path: KeyPath) -> Any:
        self.decoded += 1
        if self.alias_depth:
            self.via_alias += 1
        if (
            self.via_alias > 100
            and self.decoded > 1000
            and self.via_alias / self.decoded > _alias_ratio_allowed(self.decoded)
        ):
            raise EngineYamlError(
                "expands too many aliases (the engine refuses it as an alias bomb)",
                "write the values out instead of repeating anchors",
                line=node.line,
            )
        if node.kind == "alias":
            return self._alias(node, path)
        if node.kind == "scalar":
            return self._scalar(node, path)
        self.document.sources[path] = Source(node.line)
        if node.kind == "sequence":
            return [self.decode(child, (*path, index)) for index, child in enumerate(node.children)]
        result: dict[str, Any] = {}
        self._mapping(node, path, result, merged=None)
        return result

    def _alias(self, node: _Node, path: KeyPath) -> Any:
        target = node.children[0]
        if id(target) in self.expanding:
            raise EngineYamlError(
                f"anchor &{node.anchor} contains itself", "remove the self-reference", line=node.line
            )
        self.expanding.add(id(target))
        self.alias_depth += 1
        try:
            return self.decode(target, path)
        finally:
            self.alias_depth -= 1
            self.expanding.discard(id(target))

    def _scalar(self, node: _Node, path: KeyPath) -> Any:
        tag, value = _resolve(node)
        kind = TYPED_KINDS.get(tag, TEXT)
        self.document.sources[path] = Source(node.line, node.value, kind)
        if tag == TIMESTAMP_TAG:
            return go_time_string(value)
        if isinstance(value, float):
            if math.isnan(value) or math.isinf(value):
                self.document.problems.append(
                    EngineYamlError(
                        f"YAML reads {node.value} as a number that JSON cannot carry, "
                        "so the engine refuses the file",
                        f"quote it if you mean the text: {_quoted(node.value)}",
                        line=node.line,
                        path=path,
                    )
                )
                return node.value
            # Go's encoding/json writes integral floats below 1e21 without a fraction: JSON integers.
            return int(value) if value.is_integer() and abs(value) < 1e21 else value
        return value

    def _key(self, node: _Node, path: KeyPath) -> str | None:
        """The key as the program gets it. Inside a value the engine writes a number, boolean, date
        or null key as Go prints it (1.0 -> "1", ~ -> "<nil>"); at the top and among config keys
        it refuses the file."""
        target = node.children[0] if node.kind == "alias" else node
        if target.kind != "scalar":
            self.document.problems.append(
                EngineYamlError(
                    "has a key that is a list or a mapping", "use text keys only", line=node.line, path=path
                )
            )
            return None
        tag, value = _resolve(target)
        if tag not in TYPED_KINDS:
            return value
        if path in ((), ("config",)):
            self.document.problems.append(
                EngineYamlError(
                    f"has the key {target.value or '(empty)'}, which YAML reads as a {TYPED_KINDS[tag]}; "
                    "the engine accepts only text keys here",
                    f"quote the key: {_quoted(target.value)}",
                    line=target.line,
                    path=path,
                )
            )
        return go_key_text(tag, value)

    def _mapping(self, node: _Node, path: KeyPath, result: dict[str, Any], merged: set[str] | None) -> None:
        pairs = list(zip(node.children[0::2], node.children[1::2], strict=True))
        first_seen: dict[tuple[str, str], int] = {}
        for key_node, _ in pairs:
            shown = f"*{key_node.anchor}" if key_node.kind == "alias" else key_node.value
            identity = (key_node.kind, shown)
            if identity in first_seen:
                self.document.problems.append(
                    EngineYamlError(
                        f"has the key {shown!r} twice (lines {first_seen[identity]} and "
                        f"{key_node.line}); the engine refuses duplicate keys",
                        "keep one of them",
                        line=key_node.line,
                        path=path,
                    )
                )
            else:
                first_seen[identity] = key_node.line
        merge_value: _Node | None = None
        for key_node, value_node in pairs:
            if _is_merge_key(key_node):
                merge_value = value_node
                continue
            key = self._key(key_node, path)
            if key is None or (merged is not None and key in merged):
                continue
            if merged is not None:
                merged.add(key)
            result[key] = self.decode(value_node, (*path, key))
        if merge_value is not None:
            self._merge(merge_value, path, result, merged)

    def _merge(self, value: _Node, path: KeyPath, result: dict[str, Any], merged: set[str] | None) -> None:
        """Keys of the merged mappings that the mapping does not set itself (the first source wins)."""
        if merged is None:
            merged = set(result)
        sources = value.children if value.kind == "sequence" else [value]
        for source in sources:
            target = source.children[0] if source.kind == "alias" else source
            if target.kind != "mapping":
                raise EngineYamlError(
                    "has a merge key (<<) whose value is not a mapping or a list of mappings",
                    "merge mappings only",
                    line=source.line,
                )
            self._mapping(target, path, result, merged)


def _is_merge_key(node: _Node) -> bool:
    return node.kind == "scalar" and node.plain and node.value == "<<" and node.tag in ("", MERGE)


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _syntax_fix(text: str, line: int | None) -> str:
    """The fix for a syntax error; a tab in the indentation (YAML allows only spaces there) is named."""
    lines = text.splitlines()
    if line is not None and 0 < line <= len(lines):
        row = lines[line - 1]
        if "\t" in row[: len(row) - len(row.lstrip())]:
            return f"indent line {line} with spaces, not a tab (YAML allows no tabs in indentation)"
    return "fix the YAML syntax"


def read_engine_yaml(text: str) -> EngineDocument:
    """Decode a stack file's text as the engine does; raise EngineYamlError on what stops decoding.

    Problems that the engine reports but that leave the rest readable (a duplicate key, a key
    YAML reads as a number) are collected in `problems`, so one run names them all.
    """
    if text.startswith("\ufeff"):
        text = text[1:]  # the engine strips a UTF-8 byte-order mark
    try:
        root = _first_document(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context
        opened = exc.context_mark
        if (
            exc.problem
            and exc.context
            and opened is not None
            and mark is not None
            and opened.line != mark.line
        ):
            # e.g. an unterminated quote: where the scalar or block began is what needs the fix
            problem += f" {exc.context} that starts on line {opened.line + 1}"
        raise EngineYamlError(f"is not valid YAML: {problem}", _syntax_fix(text, line), line=line) from None
    except yaml.YAMLError as exc:
        raise EngineYamlError(f"is not valid YAML: {exc}", "fix the YAML syntax") from None
    document = EngineDocument(value=None)
    if root is not None:
        document.value = _Decoder(document).decode(root, ())
    return document

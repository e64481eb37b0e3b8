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

import base64
import binascii
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import yaml
from yaml import events

KeyPath = tuple[str | int, ...]
"""Where a value sits in the document: mapping keys and sequence indexes from the top."""

TEXT, BOOL, INT, FLOAT, NULL, TIMESTAMP = "text", "boolean", "number", "number", "empty value", "date"

_STR, _BOOL, _INT, _FLOAT, _NULL, _TIMESTAMP = "!!str", "!!bool", "!!int", "!!float", "!!null", "!!timestamp"
_BINARY, _MERGE = "!!binary", "!!merge"
_RESOLVABLE = {"", _STR, _BOOL, _INT, _FLOAT, _NULL, _TIMESTAMP}
_LONG_TAG_PREFIX = "tag:yaml.org,2002:"

_KNOWN_PLAIN: dict[str, tuple[str, Any]] = {
    **{text: (_BOOL, True) for text in ("true", "True", "TRUE")},
    **{text: (_BOOL, False) for text in ("false", "False", "FALSE")},
    **{text: (_NULL, None) for text in ("", "~", "null", "Null", "NULL")},
    **{text: (_FLOAT, math.nan) for text in (".nan", ".NaN", ".NAN")},
    **{text: (_FLOAT, math.inf) for text in (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")},
    **{text: (_FLOAT, -math.inf) for text in ("-.inf", "-.Inf", "-.INF")},
    "<<": (_MERGE, "<<"),
}
_HINTED = set("+-0123456789yYnNtTfFoO~.")
_GO_INT = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|0[bB][01]+|0[oO][0-7]+|0[0-7]*|[1-9][0-9]*)")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
_TIMESTAMP_RE = re.compile(
    r"(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})"
    r"(?:(?P<sep>[Tt ])(?P<H>[0-9]{1,2}):(?P<M>[0-9]{1,2}):(?P<S>[0-9]{1,2})(?:[.,](?P<f>[0-9]+))?"
    r"(?P<z>Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
_TYPED_KINDS = {_BOOL: BOOL, _INT: INT, _FLOAT: FLOAT, _NULL: NULL, _TIMESTAMP: TIMESTAMP}
"""The scalar tags that are not text, and how a message names them."""
_INT64 = range(-(2**63), 2**63)
_UINT64 = range(0, 2**64)


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


def _short_tag(tag: str | None) -> str:
    if not tag or tag == "!":
        return ""
    return "!!" + tag.removeprefix(_LONG_TAG_PREFIX) if tag.startswith(_LONG_TAG_PREFIX) else tag


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
        node = _Node("scalar", line, _short_tag(event.tag), event.value, plain=not event.style)
    elif isinstance(event, events.SequenceStartEvent | events.MappingStartEvent):
        kind = "sequence" if isinstance(event, events.SequenceStartEvent) else "mapping"
        node = _Node(kind, line, _short_tag(event.tag))
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
# Scalars: yaml.v3's resolve()


def _go_time_string(moment: datetime) -> str:
    """Go's time.Time.String(): '2006-01-02 15:04:05.999999999 -0700 MST'."""
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    zone = f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"
    fraction = f".{moment.microsecond:06d}".rstrip("0").rstrip(".") if moment.microsecond else ""
    name = "UTC" if offset == timedelta(0) and moment.tzinfo in (UTC, None) else zone
    return f"{moment:%Y-%m-%d %H:%M:%S}{fraction} {zone} {name}"


def _timestamp(text: str) -> datetime | None:
    """The timestamps yaml.v3 accepts (four layouts, parsed by Go's time.Parse), else None."""
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        return None
    if match["sep"] and (match["sep"] == " ") == bool(match["z"]):
        return None  # the "T" layouts need a zone, the " " layout takes none
    try:
        hour, minute, second = (int(match[g]) for g in ("H", "M", "S")) if match["sep"] else (0, 0, 0)
        zone = UTC
        if match["z"] and match["z"] != "Z":
            hours, minutes = int(match["z"][1:3]), int(match["z"][4:6])
            if hours > 24 or minutes > 60:
                return None
            sign = -1 if match["z"][0] == "-" else 1
            zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
        micro = int((match["f"] or "0")[:6].ljust(6, "0"))
        return datetime(int(match["y"]), int(match["m"]), int(match["d"]), hour, minute, second, micro, zone)
    except ValueError:  # month, day, hour, minute or second out of range: time.Parse refuses it too
        return None


def _resolve_plain(text: str) -> tuple[str, Any]:
    """yaml.v3 resolve("", text) for an untagged plain scalar: (tag, value)."""
    if text in _KNOWN_PLAIN:
        return _KNOWN_PLAIN[text]
    if not text or text[0] not in _HINTED:
        return _STR, text
    if text[0] == ".":
        # strconv.ParseFloat on the text as written (no underscores, no Python-only spellings).
        if _DOT_FLOAT.fullmatch(text) and not math.isinf(float(text)):
            return _FLOAT, float(text)
        return _STR, text
    if text[0] in "+-0123456789":
        moment = _timestamp(text)
        if moment is not None:
            return _TIMESTAMP, moment
        digits = text.replace("_", "")
        match = _GO_INT.fullmatch(digits)
        if match is not None:
            number = _go_base0_int(match[1], match[2])
            if number in _INT64 or (not match[1] and number in _UINT64):
                return _INT, number
        if _YAML_FLOAT.fullmatch(digits):
            number = float(digits)
            if not math.isinf(number):  # ParseFloat reports a range error; the text stays text
                return _FLOAT, number
    return _STR, text


def _go_base0_int(sign: str, digits: str) -> int:
    prefix = digits[:2].lower()
    base = {"0x": 16, "0b": 2, "0o": 8}.get(prefix)
    if base is not None:
        value = int(digits[2:], base)
    elif len(digits) > 1 and digits[0] == "0":
        value = int(digits, 8)  # Go reads a leading 0 as octal, as YAML 1.1 did
    else:
        value = int(digits)
    return -value if sign == "-" else value


def _resolve(node: _Node) -> tuple[str, Any]:
    """(tag, value) of a scalar node as yaml.v3 decodes it into an interface{}."""
    if node.tag == _STR or (not node.tag and not node.plain):
        return _STR, node.value
    if node.tag == _BINARY:
        try:
            data = base64.b64decode(node.value.replace("\n", "").replace("\r", ""), validate=True)
        except binascii.Error:
            raise EngineYamlError(
                "is tagged !!binary but is not valid base64", "fix the value or drop the tag", line=node.line
            ) from None
        return _STR, data.decode("utf-8", errors="replace")
    if node.tag not in _RESOLVABLE:
        return node.tag, node.value  # a custom tag: the value stays text
    tag, value = _resolve_plain(node.value) if node.plain or node.tag else (_STR, node.value)
    if node.tag in ("", tag):
        return tag, value
    if node.tag == _FLOAT and tag == _INT:
        return _FLOAT, float(value)
    raise EngineYamlError(
        f"is tagged {node.tag} but {node.value!r} is not one",
        "remove the tag, or quote the value to keep it as text",
        line=node.line,
    )


# ----------------------------------------------------------------------------------------------
# Decoding: yaml.v3's decoder into interface{}, then the engine's JSON hand-over


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
        kind = _TYPED_KINDS.get(tag, TEXT)
        self.document.sources[path] = Source(node.line, node.value, kind)
        if tag == _TIMESTAMP:
            return _go_time_string(value)
        if tag == _FLOAT:
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
        """The key as text; a key YAML reads as anything else makes the engine refuse the file."""
        target = node.children[0] if node.kind == "alias" else node
        if target.kind != "scalar":
            self.document.problems.append(
                EngineYamlError(
                    "has a key that is a list or a mapping", "use text keys only", line=node.line, path=path
                )
            )
            return None
        tag, value = _resolve(target)
        if tag in _TYPED_KINDS:
            self.document.problems.append(
                EngineYamlError(
                    f"has the key {target.value or '(empty)'}, which YAML reads as a {_TYPED_KINDS[tag]}; "
                    "the engine accepts only text keys",
                    f"quote the key: {_quoted(target.value)}",
                    line=target.line,
                    path=path,
                )
            )
        return str(value) if tag in _TYPED_KINDS else value

    def _mapping(self, node: _Node, path: KeyPath, result: dict[str, Any], merged: set[str] | None) -> None:
        pairs = list(zip(node.children[0::2], node.children[1::2], strict=True))
        first_seen: dict[tuple[str, str], int] = {}
        for key_node, _ in pairs:
            identity = (key_node.kind, key_node.anchor if key_node.kind == "alias" else key_node.value)
            if identity in first_seen:
                self.document.problems.append(
                    EngineYamlError(
                        f"has the key {key_node.value!r} twice (lines {first_seen[identity]} and "
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
            self._merge(node, merge_value, path, result, merged)

    def _merge(
        self, parent: _Node, value: _Node, path: KeyPath, result: dict[str, Any], merged: set[str] | None
    ) -> None:
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
    return node.kind == "scalar" and node.plain and node.value == "<<" and node.tag in ("", _MERGE)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
        raise EngineYamlError(
            f"is not valid YAML: {exc.problem or exc.context}", "fix the YAML syntax", line=line
        ) from None
    except yaml.YAMLError as exc:
        raise EngineYamlError(f"is not valid YAML: {exc}", "fix the YAML syntax") from None
    document = EngineDocument(value=None)
    if root is not None:
        document.value = _Decoder(document).decode(root, ())
    return document


# ----------------------------------------------------------------------------------------------
# What the program receives: Go's encoding/json


def go_json(value: Any) -> str:
    """encoding/json.Marshal of the Go value the engine holds: sorted keys, HTML-safe escapes."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    if isinstance(value, str):
        return _go_string(value)
    if isinstance(value, list):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ",".join(f"{_go_string(k)}:{go_json(value[k])}" for k in sorted(value)) + "}"
    raise TypeError(f"no JSON form for {type(value).__name__}")


_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _go_string(text: str) -> str:
    out = ['"']
    for char in text:
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif char < " " or char in "<>&\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":
            out.append("\\ufffd")  # not valid UTF-8: Go substitutes the replacement character
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def _go_float(value: float) -> str:
    """strconv 'f' format with the shortest digits, 'e' below 1e-6 or from 1e21 (as encoding/json)."""
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits = Decimal(repr(value))
    if 1e-6 <= abs(value) < 1e21:
        return format(digits, "f")
    mantissa, exponent = f"{digits:e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    sign, magnitude = exponent[0], exponent[1:].lstrip("0") or "0"
    if sign == "+" and len(magnitude) < 2:
        magnitude = magnitude.rjust(2, "0")
    return f"{mantissa}e{sign}{magnitude}"

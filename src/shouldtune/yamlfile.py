"""YAML read strictly: a repeated key is an error, and aliases may not blow a file up.

PyYAML keeps the last of two equal keys silently, so `bar: 0.5` written twice in a task.yaml
runs with whichever came later. And aliases share one node, so ten nested levels of ten
aliases each ("billion laughs") load in a blink but expand to 10**10 values as soon as
anything walks them (validation, merging, the manifest). Both are refused here with the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# Values a document may expand to through its aliases. A task spec has a few hundred.
MAX_EXPANDED = 100_000
_MERGE = "tag:yaml.org,2002:merge"


class YamlError(ValueError):
    """A YAML file that cannot be used; `line` is 1-based, None when not known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE:  # '<<: *base' merges; later keys override on purpose
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: PyYAML says so itself below
                continue
            if first is not None:
                raise YamlError(
                    f"duplicate key {key!r} (first on line {first + 1})",
                    key_node.start_mark.line + 1,
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


@dataclass(frozen=True)
class YamlDoc:
    data: Any
    root: Node | None

    def line(self, *path: str) -> int | None:
        """The 1-based line of the key at `path` (mapping keys, outermost first), if present."""
        node = self.root
        found: int | None = None
        for part in path:
            if not isinstance(node, MappingNode):
                return None
            match = [(k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == part]
            if not match:
                return None
            key_node, node = match[-1]
            found = key_node.start_mark.line + 1
        return found


def load_yaml(text: str) -> YamlDoc:
    """Parse one YAML document strictly; raises YamlError naming the line."""
    loader = _StrictLoader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return YamlDoc(None, None)
        _check_expansion(root)
        return YamlDoc(loader.construct_document(root), root)
    except YamlError:
        raise
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        # "expected a single document in the stream" + "but found another document"
        said = ", ".join(part for part in (error.context, error.problem) if part)
        raise YamlError(f"invalid YAML: {said or error}", line) from None
    except yaml.YAMLError as error:
        raise YamlError(f"invalid YAML: {error}") from None
    except RecursionError:
        raise YamlError("invalid YAML: nested too deeply") from None
    finally:
        loader.dispose()


def _check_expansion(root: Node) -> None:
    """Count the values the document expands to, each alias counted in full."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise YamlError(
                "an alias refers to the value that contains it", node.start_mark.line + 1
            )
        open_nodes.add(key)
        total = 1
        if isinstance(node, SequenceNode):
            children: list[Node] = list(node.value)
        elif isinstance(node, MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = []
        for child in children:
            total += size(child)
            if total > MAX_EXPANDED:
                raise YamlError(
                    f"anchors and aliases expand to more than {MAX_EXPANDED:,} values "
                    "(a 'billion laughs' file?)",
                    node.start_mark.line + 1,
                )
        open_nodes.discard(key)
        sizes[key] = total
        return total

    size(root)

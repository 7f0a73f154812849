#!/usr/bin/env python3
"""The module graph of src/, from `crate::` paths (use lines and inline paths).

Prints each module's edges, then checks the layering and exits 1 on:
  - a cycle between top-level modules (crate::a -> crate::b -> ... -> crate::a),
  - an edge from ui to cmd,
  - an edge from cmd to ui other than starting the UI (ui::app::run, ui::app::Mode).
Usage: scripts/modgraph.py [SRC_DIR]   (python3 standard library only)
"""

import os
import re
import sys
from collections import defaultdict

# The submodules shown on their own: the front ends and the layer between them.
SPLIT = {"cmd", "ui", "engine"}
# What `cmd` may reach in `ui`: starting it.
CMD_TO_UI_ALLOWED = {"ui::app::run", "ui::app::Mode"}

PATH = re.compile(r"\bcrate::([A-Za-z_][A-Za-z0-9_]*(?:::[A-Za-z_][A-Za-z0-9_]*)*)")
USE = re.compile(r"\buse\s+crate::\{([^;]*)\};", re.S)
COMMENT = re.compile(r"//[^\n]*")


def module_of(src, path):
    """The module path of a file: src/ui/panes/chat.rs -> ['ui', 'panes', 'chat']."""
    rel = os.path.relpath(path, src)[: -len(".rs")].split(os.sep)
    if rel[-1] in ("mod", "lib", "main"):
        rel = rel[:-1]
    return rel


def references(text):
    """Every `crate::a::b::c` path in the file, `use crate::{a, b::c}` groups expanded."""
    text = COMMENT.sub("", text)
    refs = [m.group(1) for m in PATH.finditer(text)]
    for group in USE.finditer(text):
        for item in re.split(r",\s*(?![^{]*\})", group.group(1)):
            item = item.strip()
            name = re.match(r"[A-Za-z_][A-Za-z0-9_:]*", item)
            if name:
                refs.append(name.group(0).rstrip(":"))
    return refs


def node(src, parts):
    """The node a module path belongs to: the top level, or one level down in SPLIT when
    that names a module (a file or folder), not an item of the parent."""
    if not parts:
        return None
    if parts[0] in SPLIT and len(parts) > 1:
        base = os.path.join(src, parts[0], parts[1])
        if os.path.isfile(base + ".rs") or os.path.isdir(base):
            return f"{parts[0]}::{parts[1]}"
    return parts[0]


def graph(src):
    top = defaultdict(set)  # top-level module -> top-level modules it uses
    sub = defaultdict(set)  # node -> nodes it uses (SPLIT modules one level down)
    where = defaultdict(list)  # (from, to) top-level edge -> ["file: crate::path"]
    for root, _, files in os.walk(src):
        for f in sorted(files):
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            parts = module_of(src, path)
            if not parts or parts[0] == "bin":
                continue  # binaries use the library from outside, as `firewatch::`
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            for ref in references(text):
                target = ref.split("::")
                if target[0] in ("self", "super", "crate"):
                    continue
                if target[0] != parts[0]:
                    top[parts[0]].add(target[0])
                    where[(parts[0], target[0])].append(f"{os.path.relpath(path, src)}: crate::{ref}")
                a, b = node(src, parts), node(src, target)
                if a != b:
                    sub[a].add(b)
    return top, sub, where


def cycles(edges):
    """The strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(set(edges) | {w for ws in edges.values() for w in ws}):
        if v not in index:
            visit(v)
    return out


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "src")
    src = os.path.normpath(src)
    top, sub, where = graph(src)
    print("top-level modules:")
    for m in sorted(set(top) | {w for ws in top.values() for w in ws}):
        print(f"  {m} -> {', '.join(sorted(top.get(m, ()))) or '-'}")
    print("\ncmd, ui and engine, one level down:")
    for m in sorted(sub):
        if m.split("::")[0] in SPLIT:
            print(f"  {m} -> {', '.join(sorted(sub[m]))}")

    problems = []
    for comp in cycles(top):
        edges = [f"{a} -> {b}" for a in comp for b in sorted(top.get(a, ())) if b in comp]
        problems.append(f"cycle between {', '.join(comp)}:")
        for e in edges:
            a, b = e.split(" -> ")
            problems.append(f"    {e}   ({where[(a, b)][0]})")
    for ref in where.get(("ui", "cmd"), []):
        problems.append(f"ui uses cmd: {ref}")
    for ref in where.get(("cmd", "ui"), []):
        path = ref.split("crate::", 1)[1]
        if not any(path == ok or path.startswith(ok + "::") for ok in CMD_TO_UI_ALLOWED):
            problems.append(f"cmd uses ui beyond starting it: {ref}")
    if problems:
        print("\nlayering broken:")
        for p in problems:
            print(f"  {p}")
        return 1
    print("\nno cycle between top-level modules; ui never uses cmd; cmd only starts the ui")
    return 0


if __name__ == "__main__":
    sys.exit(main())

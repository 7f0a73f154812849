#!/usr/bin/env python3
"""The longest functions in src/, by lines from `fn` to its closing brace.

    scripts/fn_lengths.py            # the 10 longest non-test functions
    scripts/fn_lengths.py -n 25      # the 25 longest
    scripts/fn_lengths.py --max 100  # exit 1 if a non-test function is longer than 100 lines

A function is measured from the line of its `fn` to the first later line that closes it: a `}`
at the same indentation as the `fn` (rustfmt's layout), or the end of the same line for a
one-liner. Attributes and doc comments above it do not count. Tests are left out: functions
inside a `#[cfg(test)]` module, and files that are test modules (`tests.rs`, or a file
declared with `#[cfg(test)] mod name;`). A function whose body is a data table is exempt from
`--max` when a `// fn-length: table` comment sits just above it (among its doc comments and
attributes).
"""

import argparse
import re
import sys
from pathlib import Path

FN = re.compile(
    r"^(?P<indent>\s*)(?:pub(?:\([^)]*\))?\s+)?(?:default\s+)?(?:const\s+)?(?:async\s+)?(?:unsafe\s+)?"
    r"(?:extern\s+\"[^\"]*\"\s+)?fn\s+(?P<name>\w+)"
)
MOD_DECL = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;")
MOD_INLINE = re.compile(r"^(\s*)(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*\{\s*$")
PATH_ATTR = re.compile(r'^\s*#\[path\s*=\s*"([^"]+)"\]')
TABLE_MARK = "// fn-length: table"


def strip_code(line):
    """The line without its string literals and `//` comment, for counting braces."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    line = re.sub(r"'(?:\\.|[^'\\])'", "''", line)
    i = line.find("//")
    return line if i < 0 else line[:i]


def child_module_path(parent, name, path_attr):
    """Where `mod name;` declared in `parent` lives."""
    if path_attr:
        return (parent.parent / path_attr).resolve()
    base = parent.parent if parent.name in ("mod.rs", "lib.rs", "main.rs") else parent.parent / parent.stem
    for candidate in (base / f"{name}.rs", base / name / "mod.rs"):
        if candidate.exists():
            return candidate.resolve()
    return None


def test_files(files):
    """Files that are test modules, and every file below them."""
    roots = set()
    for f in files:
        lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
        for i, line in enumerate(lines):
            m = MOD_DECL.match(line)
            if not m:
                continue
            attrs, path_attr, j = [], None, i - 1
            while j >= 0 and lines[j].strip().startswith("#["):
                attrs.append(lines[j].strip())
                pm = PATH_ATTR.match(lines[j])
                path_attr = pm.group(1) if pm else path_attr
                j -= 1
            if any(a.startswith("#[cfg(test)]") for a in attrs) or m.group(1) == "tests":
                child = child_module_path(f, m.group(1), path_attr)
                if child:
                    roots.add(child)
    tests = set()
    for f in files:
        rf = f.resolve()
        if rf.name == "tests.rs" or rf in roots:
            tests.add(rf)
            continue
        for r in roots:
            # Submodules of a test module (`tests/mod.rs` and its siblings, `x_tests/`).
            folder = r.parent if r.name == "mod.rs" else r.parent / r.stem
            if folder in rf.parents:
                tests.add(rf)
    return tests


def test_ranges(lines):
    """Line ranges (0-based, inclusive) of inline `#[cfg(test)] mod name { ... }` blocks."""
    ranges = []
    for i, line in enumerate(lines):
        m = MOD_INLINE.match(line)
        if not m:
            continue
        j = i - 1
        attrs = []
        while j >= 0 and lines[j].strip().startswith("#["):
            attrs.append(lines[j].strip())
            j -= 1
        if not any(a.startswith("#[cfg(test)]") for a in attrs):
            continue
        close = m.group(1) + "}"
        end = next((k for k in range(i + 1, len(lines)) if lines[k].rstrip() == close), len(lines) - 1)
        ranges.append((i, end))
    return ranges


def is_table(lines, i):
    j = i - 1
    while j >= 0:
        s = lines[j].strip()
        if s == TABLE_MARK or s.startswith(TABLE_MARK):
            return True
        if s.startswith("///") or s.startswith("#[") or s.startswith("//"):
            j -= 1
            continue
        return False
    return False


def functions(path, lines):
    """(length, line number, name, is_table) of each function with a body in `lines`."""
    out = []
    for i, line in enumerate(lines):
        m = FN.match(line)
        if not m:
            continue
        indent = m.group("indent")
        # Find where the signature ends: `{` opens the body, `;` means no body.
        body_line = None
        for k in range(i, min(len(lines), i + 40)):
            code = strip_code(lines[k])
            if "{" in code:
                body_line = k
                break
            if code.rstrip().endswith(";"):
                break
        if body_line is None:
            continue
        first = strip_code(lines[body_line])
        depth = first.count("{") - first.count("}")
        if depth <= 0:
            end = body_line
        else:
            close = indent + "}"
            end = next((k for k in range(body_line + 1, len(lines)) if lines[k].startswith(close)), None)
            if end is None:
                continue
        out.append((end - i + 1, i + 1, m.group("name"), is_table(lines, i)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=10, help="how many of the longest to print (default 10)")
    ap.add_argument("--max", type=int, help="exit 1 if a non-test function, not a marked table, is longer")
    ap.add_argument("--tests", action="store_true", help="list test functions too")
    ap.add_argument("--root", default=str(Path(__file__).resolve().parent.parent / "src"))
    args = ap.parse_args()

    root = Path(args.root)
    files = sorted(root.rglob("*.rs"))
    tests = test_files(files)
    found = []
    for f in files:
        lines = f.read_text(encoding="utf-8", errors="replace").splitlines()
        in_test_file = f.resolve() in tests
        ranges = test_ranges(lines)
        rel = f.relative_to(root.parent)
        for length, line, name, table in functions(f, lines):
            test = in_test_file or any(a <= line - 1 <= b for a, b in ranges)
            found.append((length, f"{rel}:{line}", name, test, table))
    found.sort(key=lambda x: (-x[0], x[1]))
    shown = [x for x in found if args.tests or not x[3]]
    for length, where, name, test, table in shown[: args.n]:
        notes = "".join([" (test)" if test else "", " (table)" if table else ""])
        print(f"{length:5}  {where}  {name}{notes}")
    if args.max is not None:
        over = [x for x in found if x[0] > args.max and not x[3] and not x[4]]
        if over:
            print(f"\n{len(over)} function(s) over {args.max} lines:", file=sys.stderr)
            for length, where, name, _, _ in over:
                print(f"  {length:5}  {where}  {name}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env bash
# Holds `rust-version` in Cargo.toml to the truth:
#  - the toolchain building the project (`$RUSTC --version`, as cargo runs it) must not
#    be older than it;
#  - no locked dependency may need a newer Rust than it (their own `rust-version`, as
#    `cargo metadata` reports it from Cargo.lock).
# Exit 0 when both hold, 1 (with the offenders named) otherwise.
# Only one toolchain is installed in CI: this does not build with the declared minimum
# itself; it checks the declarations and the toolchain in use.
set -euo pipefail
cd "$(dirname "$0")/.."

rustc_version=$("${RUSTC:-rustc}" --version | awk '{print $2}')
meta=$(mktemp)
trap 'rm -f "$meta"' EXIT
# (the dependency graph does not depend on which rustc reads it)
env -u RUSTC cargo metadata --format-version 1 --locked >"$meta"
python3 - "$rustc_version" "$meta" <<'PY'
import json, sys

def key(v):
    # "1.90", "1.90.0", "1.95.0-nightly" -> (1, 90, 0)
    parts = v.split("-")[0].split(".")
    return tuple(int(p) for p in (parts + ["0", "0"])[:3])

rustc, path = sys.argv[1], sys.argv[2]
with open(path) as f:
    meta = json.load(f)
members = set(meta["workspace_members"])
deps = [p for p in meta["packages"] if p["id"] not in members and p.get("rust_version")]
ok = True
for root in (p for p in meta["packages"] if p["id"] in members):
    name, declared = root["name"], root.get("rust_version")
    if not declared:
        print(f"check-msrv: {name} declares no rust-version")
        ok = False
        continue
    if key(rustc) < key(declared):
        print(f"check-msrv: rustc {rustc} is older than rust-version {declared} of {name}")
        ok = False
    for p in sorted(deps, key=lambda p: key(p["rust_version"]), reverse=True):
        if key(p["rust_version"]) > key(declared):
            print(f"check-msrv: {p['name']} {p['version']} needs Rust {p['rust_version']}, newer than rust-version {declared} of {name}")
            ok = False
    if ok and deps:
        top = max(deps, key=lambda p: key(p["rust_version"]))
        print(f"check-msrv: ok: {name} rust-version {declared}, rustc {rustc}; "
              f"the newest need of a locked dependency: {top['name']} {top['version']} ({top['rust_version']})")
sys.exit(0 if ok else 1)
PY

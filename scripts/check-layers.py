#!/usr/bin/env python3
"""Which source files of the library call which, from the objects of a
build with MPOOL_UNITY=OFF (one object per source), and whether any of
them call each other in a loop.

  scripts/check-layers.py BUILD_DIR [--graph]

A file calls another when its object refers to a function or object the
other defines (static inline functions of headers count for the file
that includes them).  Each loop (a strongly connected set of files) is
printed; the check fails on a loop that is not one of ALLOWED below, or
that has grown past it.  ALLOWED lists the loops allowed (none: no two
files call each other, directly or through others).
"""
import collections
import glob
import os
import subprocess
import sys

# Loops allowed: none.  The pool layer reads bottom up: node, reuse, large,
# alloc, lifetime, teardown, mark, free, adapt, pool (docs/design.md).
ALLOWED = []


def objects(build):
    for sub in ("mpool_static.dir", "mpool_shared.dir"):
        found = sorted(glob.glob(os.path.join(build, "CMakeFiles", sub, "src", "*.o")))
        if found:
            return found
    sys.exit(f"check-layers: no objects of a MPOOL_UNITY=OFF build in {build}")


def graph(objs):
    defined, used = {}, collections.defaultdict(set)
    for o in objs:
        name = os.path.basename(o)[: -len(".c.o")]
        out = subprocess.run(["nm", o], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            f = line.split()
            if len(f) == 3 and f[1] in "TDBRC":
                defined[f[2]] = name
            elif len(f) == 2 and f[0] == "U":
                used[name].add(f[1])
    files = sorted({os.path.basename(o)[: -len(".c.o")] for o in objs})
    edges = {f: sorted({defined[s] for s in used[f] if s in defined and defined[s] != f}) for f in files}
    return files, edges


def loops(files, edges):
    """Tarjan's strongly connected components with more than one file."""
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in files:
        if v not in index:
            visit(v)
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    files, edges = graph(objects(sys.argv[1]))
    if "--graph" in sys.argv[2:]:
        for f in files:
            print(f"{f} -> {' '.join(edges[f])}")
    bad = 0
    for comp in loops(files, edges):
        ok = any(comp <= allowed for allowed in ALLOWED)
        bad += not ok
        print(f"layers: {'known' if ok else 'NEW'} loop of {len(comp)} files: {' '.join(sorted(comp))}")
    print(f"layers: {len(files)} files, {sum(map(len, edges.values()))} calls between files, "
          f"{'ok' if bad == 0 else f'{bad} new loop(s)'}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

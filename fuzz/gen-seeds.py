#!/usr/bin/env python3
"""Writes the seed inputs of fuzz/corpus/ for the names, tree and hook
operations of fuzz/fuzz_ops.c (opcode 15 with upper nibble 4, 5, 6):

  seed-walk-shared       by hand: a shared pool, small objects, frees, walks
  seed-hooks-basic       by hand: hooks on, every object call, resets, destroys
  seed-tree-random-N     random programs weighted towards names and walks
  seed-hooks-random-N    random programs weighted towards hooks
  regress-walk-shared-lanes     seed-walk-shared (fuzz/regress/ has its patch)
  regress-hook-shared-created   by hand: a process-wide hook, a shared pool
  regress-hook-objects-kept     by hand: a pool hook on a pool made under a
                                process-wide MP_HOOK_OBJECTS hook

Each operation is written with exactly the bytes the decoder reads for it,
so a program decodes as written.  The output is the same on every run
(fixed random seeds):  python3 fuzz/gen-seeds.py fuzz/corpus
"""
import random
import sys

# Operations: (opcode byte, argument bytes), arguments drawn by gen().
def op(code, *args):
    return bytes([code]) + bytes(a & 255 for a in args)

def create(f):            return op(0x00, f)
def shared(f):            return op(0x7F, f)
def child(slot, f):       return op(0x01, slot, f)
def alloc(kind, slot, size, a=0):  # kind 0..3: alloc, nalloc, calloc, memalign
    return op(0x02 | (kind << 4), slot, size & 63, a)
def string(slot, f, n):   return op(0x05, slot, f, n & 63)
def free(obj):            return op(0x06, obj)
def free_sized(obj):      return op(0x07, obj)
def realloc(obj, n, unsized=False):
    return op(0x08 | (0x10 if unsized else 0), obj, n & 63)
def cleanup_add(slot):    return op(0x0A, slot, 0)
def reset(how, slot):     # how 0..9 mp_reset_pool, 10 free all, 11 retain,
    extra = ()            # 12 retain up to a limit, 13 children, 14 destroy
    if how == 12:         # children, 15 bad modes
        extra = (3, 0)
    if how == 15:
        extra = (1, 1)
    return op(0x0C | (how << 4), slot, *extra)
def destroy(slot):        return op(0x0D, slot)
def name(slot, f, g, h):  return op(0x4F, slot, f, g, h)
def walk(f, g, slot=0):   # f bit 0: from a pool (then the slot byte)
    return op(0x5F, f, g, slot) if f & 1 else op(0x5F, f, g)
def hook(f, slot=0):      # f bit 0: process-wide (no slot byte)
    return op(0x6F, f) if f & 1 else op(0x6F, f, slot)

def walk_all(r):
    """Every walk variant: from the process and a pool, stopped, text and
    JSON, each buffer size class, to a FILE too."""
    out = b""
    for f in (0x00, 0x01, 0x02, 0x03, 0x04, 0x0C, 0x24, 0x2C, 0x14, 0x1C,
              0x45, 0x4D, 0x85, 0x8D, 0xC5, 0xCD, 0xE5, 0xED):
        out += walk(f, r.randrange(256), r.randrange(4))
    return out

def walk_shared():
    p = shared(0)                        # default nodes, lanes (no ASan)
    p += name(0, 1, 12, 0)
    for i in range(24):
        p += alloc(0, 0, 8 + i)          # small mp_alloc: the lane's chunk
    for i in range(0, 24, 3):
        p += free_sized(i)               # to the lane's free lists
    p += walk(0x01, 0, 0)                # walk of the shared pool
    p += walk(0x00, 0)                   # of the process
    p += walk(0x05, 0, 0) + walk(0x0D, 0, 0)  # its text and JSON
    return p

def hooks_basic():
    p = hook(0x03)                       # process-wide, objects
    p += create(0x00) + create(0x10)     # born hooked (one with headers)
    p += shared(0)                       # block events only
    p += hook(0x02, 0) + hook(0x00, 1)   # pool hooks, objects and blocks
    p += hook(0x02, 2)                   # refused: objects on a shared pool
    p += name(0, 1, 30, 9) + name(1, 5, 7, 200)
    for k in range(4):
        p += alloc(k, 0, 20 + k, 3) + alloc(k, 1, 30 + k, 4)
    p += string(0, 0, 10) + string(1, 3, 11) + string(0, 4, 5)
    p += cleanup_add(0) + cleanup_add(1)
    p += free(0) + free_sized(1) + realloc(2, 50) + realloc(3, 9, True)
    p += child(0, 0x00) + child(1, 0x01)
    p += alloc(0, 3, 40) + walk_all(random.Random(7))
    p += reset(0, 0) + reset(10, 1) + reset(14, 0) + reset(15, 0)
    p += hook(0x1B)                      # refused: bad flags
    p += hook(0x05)                      # process-wide cleared
    p += hook(0x01)                      # set again, blocks only
    p += destroy(0) + destroy(1) + destroy(2)
    return p

def random_program(r, weights):
    gens = {
        "create": lambda: create(r.randrange(256)),
        "shared": lambda: shared(r.randrange(256) & 0xBF),
        "child": lambda: child(r.randrange(4), r.randrange(256)),
        "alloc": lambda: alloc(r.randrange(4), r.randrange(4),
                               r.randrange(64), r.randrange(11)),
        "string": lambda: string(r.randrange(4), r.randrange(256),
                                 r.randrange(64)),
        "free": lambda: free(r.randrange(256)),
        "free_sized": lambda: free_sized(r.randrange(256)),
        "realloc": lambda: realloc(r.randrange(256), r.randrange(64),
                                   r.random() < 0.3),
        "cleanup": lambda: cleanup_add(r.randrange(4)),
        "reset": lambda: reset(r.randrange(16), r.randrange(4)),
        "destroy": lambda: destroy(r.randrange(4)),
        "name": lambda: name(r.randrange(4), r.randrange(256),
                             r.randrange(256), r.randrange(256)),
        "walk": lambda: walk(r.randrange(256), r.randrange(256),
                             r.randrange(4)),
        "hook": lambda: hook(r.randrange(256), r.randrange(4)),
    }
    names = list(weights)
    w = [weights[n] for n in names]
    p = create(r.randrange(256)) + shared(0)
    while len(p) < 900:
        p += gens[r.choices(names, w)[0]]()
    return p

BASE = dict(create=2, shared=2, child=4, alloc=14, string=4, free=4,
            free_sized=4, realloc=4, cleanup=2, reset=3, destroy=2,
            name=4, walk=4, hook=2)

def main(out):
    files = {"seed-walk-shared": walk_shared(),
             "seed-hooks-basic": hooks_basic(),
             "regress-walk-shared-lanes": walk_shared(),
             # its first node told as the inner pool's, released as the
             # handle's: the block balance of a pool gone fails
             "regress-hook-shared-created": hook(0x01) + shared(0) +
             destroy(0),
             # a pool hook for blocks took the process-wide hook's object
             # events away: the alloc's event is missing
             "regress-hook-objects-kept": hook(0x03) + create(0) +
             hook(0x00, 0) + alloc(0, 0, 10)}
    for i in range(3):
        files["seed-tree-random-%d" % i] = random_program(
            random.Random(1000 + i), dict(BASE, name=10, walk=12))
        files["seed-hooks-random-%d" % i] = random_program(
            random.Random(2000 + i), dict(BASE, hook=10, walk=3))
    for n, data in files.items():
        with open("%s/%s" % (out, n), "wb") as f:
            f.write(data)
        print("%s: %d bytes" % (n, len(data)))

if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "fuzz/corpus")

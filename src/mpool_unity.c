/*
 * The whole library as one translation unit.
 *
 * The library is built from this file: the compiler then sees every
 * source at once and inlines across them (the block cache into node and
 * large-block code, the free lists into mp_free_sized(), the index into
 * every lookup), as link-time optimisation would, without asking the
 * static library's users for a compiler that reads LTO objects.  It also
 * lets an embedder compile mpool by adding this one file (and include/,
 * src/) to a build: `cc -c -Iinclude src/mpool_unity.c`.
 *
 * Each source keeps one concern and builds on its own too (they are
 * compiled one by one when MPOOL_UNITY is OFF); static names stay
 * distinct across them so that they can share this unit.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
/* The feature macros that any source asks for, before any header. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#ifndef _XOPEN_SOURCE
#define _XOPEN_SOURCE 700
#endif

/* Lets mp_internal.h inline the pool layer's hot entry points (MP_ENTRY). */
#define MP_UNITY_BUILD 1

#include "adapt.c"
#include "alloc.c"
#include "api.c"
#include "budget.c"
#include "buffer.c"
#include "cache.c"
#include "carve.c"
#include "debug.c"
#include "debug_report.c"
#include "format.c"
#include "free.c"
#include "harden.c"
#include "hooked.c"
#include "hooks.c"
#include "index.c"
#include "large.c"
#include "lifetime.c"
#include "mark.c"
#include "mp_platform.c"
#include "node.c"
#include "objpool.c"
#include "owns.c"
#include "pool.c"
#include "registry.c"
#include "reset.c"
#include "reuse.c"
#include "rt.c"
#include "shared.c"
#include "stats.c"
#include "strings.c"
#include "teardown.c"
#include "tree.c"
#include "vprintf.c"
#include "wipe.c"

/*
 * Which malloc() a benchmark host is running on: the real-client
 * programs (mpool-lua, mpool-clients) are started with LD_PRELOAD of
 * mimalloc, jemalloc or tcmalloc for those rows, and check that the
 * library the row names really is the one in the process.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPB_MALLOC_CHECK_H
#define MPB_MALLOC_CHECK_H

/* The file name of the object that defines the malloc() this process
 * calls, or "?". */
const char *mpb_malloc_object(void);

/* Exits with status 1 and a message on stderr, naming the program `prog`,
 * unless the malloc in use is the one `name` asks for: "mimalloc",
 * "jemalloc" or "tcmalloc" need that library's marker symbol (mi_version,
 * mallctl, tc_malloc) present, the others' absent, and malloc() defined
 * in its file; any other name (glibc, and the pool rows, whose nodes come
 * from the C library) needs the C library's own malloc() and none of the
 * three loaded. */
void mpb_check_malloc(const char *prog, const char *name);

#endif /* MPB_MALLOC_CHECK_H */

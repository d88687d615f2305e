/*
 * Which malloc() a benchmark host is running on (malloc_check.h).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* dladdr, RTLD_DEFAULT */

#include "malloc_check.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mpb_malloc_object(void) {
  Dl_info info;
  void *m = dlsym(RTLD_DEFAULT, "malloc");
  if (m == NULL || dladdr(m, &info) == 0 || info.dli_fname == NULL)
    return "?";
  return info.dli_fname;
}

void mpb_check_malloc(const char *prog, const char *name) {
  static const struct {
    const char *name, *marker, *file;
  } libs[] = {
      {"mimalloc", "mi_version", "mimalloc"},
      {"jemalloc", "mallctl", "jemalloc"},
      {"tcmalloc", "tc_malloc", "tcmalloc"},
  };
  const char *obj = mpb_malloc_object();
  const char *want = NULL;
  for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++) {
    int present = dlsym(RTLD_DEFAULT, libs[i].marker) != NULL;
    int wanted = strcmp(name, libs[i].name) == 0;
    if (wanted)
      want = libs[i].file;
    if (present && !wanted) {
      fprintf(stderr,
              "%s: --alloc %s, but %s is loaded (%s found; unset "
              "LD_PRELOAD)\n",
              prog, name, libs[i].name, libs[i].marker);
      exit(1);
    }
    if (wanted && !present) {
      fprintf(stderr,
              "%s: --alloc %s, but %s is not loaded (%s not found; run "
              "with LD_PRELOAD of the library)\n",
              prog, name, libs[i].name, libs[i].marker);
      exit(1);
    }
  }
  if (want != NULL ? strstr(obj, want) == NULL
                   : strstr(obj, "libc.so") == NULL) {
    fprintf(stderr, "%s: --alloc %s, but malloc() comes from %s\n", prog, name,
            obj);
    exit(1);
  }
}

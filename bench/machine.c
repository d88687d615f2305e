/*
 * The machine description of a benchmark run: CPU, cores, memory, kernel,
 * date, compiler, the cost of a first touch of a page, and the lines the
 * caller adds (--env: tool and library versions).
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#define _GNU_SOURCE /* gmtime_r */

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "driver.h"

#define NMACH 40
static char mach_key[NMACH][32];
static char mach_val[NMACH][256];
static int nmach;

void mach_add(const char *k, const char *v) {
  if (nmach == NMACH)
    return;
  snprintf(mach_key[nmach], sizeof mach_key[nmach], "%s", k);
  snprintf(mach_val[nmach], sizeof mach_val[nmach], "%s", v);
  nmach++;
}

/* Cost of a first touch of a fresh anonymous page: on some virtual
 * machines it dominates every workload that grows, so it belongs in the
 * machine description.  Median of three probes. */
static double page_fault_ns(void) {
  const size_t len = (size_t)64 << 20;
  long psz = sysconf(_SC_PAGESIZE);
  double t[3];
  for (int k = 0; k < 3; k++) {
    char *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED || psz <= 0)
      return 0;
    uint64_t t0 = mpb_now_ns();
    for (size_t i = 0; i < len; i += (size_t)psz)
      m[i] = 1;
    t[k] = (double)(mpb_now_ns() - t0) / (double)(len / (size_t)psz);
    munmap(m, len);
  }
  return median(t, 3);
}

void gather_machine(void) {
  char v[256] = "unknown";
  FILE *f = fopen("/proc/cpuinfo", "r");
  char line[512];
  while (f && fgets(line, sizeof line, f)) {
    if (strncmp(line, "model name", 10) == 0) {
      char *c = strchr(line, ':');
      if (c) {
        c++;
        while (*c == ' ' || *c == '\t')
          c++;
        c[strcspn(c, "\n")] = '\0';
        snprintf(v, sizeof v, "%s", c);
      }
      break;
    }
  }
  if (f)
    fclose(f);
  mach_add("cpu", v);
  snprintf(v, sizeof v, "%ld online", sysconf(_SC_NPROCESSORS_ONLN));
  mach_add("cores", v);
  long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
  snprintf(v, sizeof v, "%.1f GiB",
           (double)pages * (double)psz / (1024.0 * 1024 * 1024));
  mach_add("memory", v);
  struct utsname u;
  if (uname(&u) == 0) {
    snprintf(v, sizeof v, "%.40s %.60s %.100s %.20s", u.sysname, u.release,
             u.version, u.machine);
    mach_add("kernel", v);
  }
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(v, sizeof v, "%Y-%m-%dT%H:%M:%SZ", &tm);
  mach_add("date", v);
#if defined(__clang__)
  snprintf(v, sizeof v, "clang %s", __clang_version__);
#elif defined(__GNUC__)
  snprintf(v, sizeof v, "gcc %s", __VERSION__);
#else
  snprintf(v, sizeof v, "unknown");
#endif
  mach_add("bench compiler", v);
  double pf = page_fault_ns();
  if (pf > 0) {
    snprintf(v, sizeof v, "%.0f ns per first touch of a page (64 MiB probe)",
             pf);
    mach_add("page fault", v);
  }
  for (int i = 0; i < o.nenv; i++) {
    const char *eq = strchr(o.env[i], '=');
    char k[32];
    snprintf(k, sizeof k, "%.*s", (int)(eq - o.env[i]), o.env[i]);
    mach_add(k, eq + 1);
  }
}

void write_machine(FILE *f) {
  for (int i = 0; i < nmach; i++)
    fprintf(f, "%s: %s\n", mach_key[i], mach_val[i]);
}

void machine_summary(char *buf, size_t len) {
  size_t at = 0;
  buf[0] = '\0';
  for (int i = 0; i < nmach && at < len; i++)
    if (!strcmp(mach_key[i], "cpu") || !strcmp(mach_key[i], "cores") ||
        !strcmp(mach_key[i], "date")) {
      int w = snprintf(buf + at, len - at, "%s%s", at ? ", " : "", mach_val[i]);
      at += w > 0 ? (size_t)w : 0;
    }
}

void write_machine_json(FILE *f) {
  fputc('{', f);
  for (int i = 0; i < nmach; i++) {
    fputs(i ? ",\n    " : "\n    ", f);
    json_str(f, mach_key[i]);
    fputs(": ", f);
    json_str(f, mach_val[i]);
  }
  fputs("\n  }", f);
}

/*
 * C++ interface tests: mpool::pool (RAII, move-only, factories) and
 * mpool::resource under std::pmr containers.  Prints "N passed, M failed"
 * and exits non-zero on any failure.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory_resource>
#include <new>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

// Defined in test_cpp_other.cpp: the header is usable from a second
// translation unit of the same program (everything in it is inline).
int other_unit_allocates();

namespace {

int passed = 0;
int failed = 0;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (!(cond)) {                                                             \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__,    \
                   #cond);                                                     \
      ok = false;                                                              \
    }                                                                          \
  } while (0)

bool aligned(const void *p, std::size_t a) {
  return reinterpret_cast<std::uintptr_t>(p) % a == 0;
}

static_assert(!std::is_copy_constructible_v<mpool::pool>);
static_assert(!std::is_copy_assignable_v<mpool::pool>);
static_assert(std::is_nothrow_move_constructible_v<mpool::pool>);
static_assert(std::is_nothrow_move_assignable_v<mpool::pool>);
static_assert(std::is_base_of_v<std::pmr::memory_resource, mpool::resource>);

bool test_raii_and_alloc() {
  bool ok = true;
  mpool::pool p;
  CHECK(p);
  CHECK(p.get() != nullptr);
  void *a = p.alloc(24);
  CHECK(a != nullptr && aligned(a, alignof(std::max_align_t)));
  void *b = p.alloc(100, 256);
  CHECK(b != nullptr && aligned(b, 256));
  void *c = p.alloc(8, 1);
  CHECK(c != nullptr);
  errno = 0;
  CHECK(p.alloc(8, 3) == nullptr && errno == EINVAL);
  auto *z = static_cast<unsigned char *>(p.calloc(64));
  CHECK(z != nullptr);
  for (int i = 0; z != nullptr && i < 64; i++)
    CHECK(z[i] == 0);
  char *s = static_cast<char *>(p.nalloc(6));
  CHECK(s != nullptr);
  if (s != nullptr)
    std::memcpy(s, "hello", 6);
  void *big = p.alloc(1 << 20);
  CHECK(big != nullptr);
  CHECK(p.free(big) == 0);
  int local = 0;
  errno = 0;
  if (!(mpool_build_flags() & (MPOOL_BUILD_HARDENED | MPOOL_BUILD_DEBUG)))
    /* there it aborts */
    CHECK(p.free(&local) == -1 && errno == EINVAL);
  void *big2 = p.alloc(1 << 20);
  CHECK(big2 != nullptr);
  p.free(big2, std::size_t{1} << 20);
  p.reset();
  CHECK(p.alloc(16) != nullptr);
  return ok;
}

bool test_move_semantics() {
  bool ok = true;
  mpool::pool a(4096);
  mp_pool_t *raw = a.get();
  mpool::pool b(std::move(a));
  CHECK(!a && a.get() == nullptr); // NOLINT: moved-from state is specified
  CHECK(b.get() == raw);
  mpool::pool c;
  c = std::move(b); // c's own pool is destroyed
  CHECK(!b && c.get() == raw);
  mpool::pool &alias = c;
  c = std::move(alias); // self-move keeps the pool
  CHECK(c.get() == raw);
  mpool::pool d;
  swap(c, d);
  CHECK(d.get() == raw && c.get() != raw && c);
  mp_pool_t *r = d.release();
  CHECK(!d && r == raw);
  mpool::pool e = mpool::pool::adopt(r);
  CHECK(e.get() == raw);
  mpool::pool empty = mpool::pool::adopt(nullptr);
  CHECK(!empty);
  empty.reset(); // harmless on an empty handle
  std::vector<mpool::pool> many;
  for (int i = 0; i < 8; i++)
    many.emplace_back(1024);
  for (auto &m : many)
    CHECK(m && m.alloc(32) != nullptr);
  return ok;
}

bool test_factories_and_errors() {
  bool ok = true;
  bool threw = false;
  try {
    mpool::pool p(MP_MAX_NODE_SIZE * 2);
  } catch (const std::bad_alloc &) {
    threw = true;
  }
  CHECK(threw);
  errno = 0;
  std::optional<mpool::pool> none =
      mpool::pool::try_create(MP_MAX_NODE_SIZE * 2);
  CHECK(!none && errno == EINVAL);
  std::optional<mpool::pool> some = mpool::pool::try_create();
  CHECK(some && *some && some->alloc(10) != nullptr);

  mp_options_t o;
  mp_options_init(&o);
  o.node_size = 8192;
  o.alignment = 64;
  mpool::pool q(o);
  CHECK(aligned(q.alloc(3), 64));
  std::optional<mpool::pool> q2 = mpool::pool::try_create(o);
  CHECK(q2 && aligned(q2->alloc(3), 64));
  o.alignment = 3;
  threw = false;
  try {
    mpool::pool bad(o);
  } catch (const std::bad_alloc &) {
    threw = true;
  }
  CHECK(threw);
  CHECK(!mpool::pool::try_create(o));
  return ok;
}

bool test_pmr_containers() {
  bool ok = true;
  mpool::pool p;
  mpool::resource r{p};
  CHECK(r.get() == p.get());
  {
    std::pmr::vector<int> v{&r};
    for (int i = 0; i < 100000; i++)
      v.push_back(i); // grows through large blocks, each freed early
    long sum = 0;
    for (int x : v)
      sum += x;
    CHECK(sum == 100000L * 99999L / 2);
    CHECK(v.get_allocator().resource() == &r);

    std::pmr::string s{"a string long enough to leave the small buffer", &r};
    for (int i = 0; i < 10; i++)
      s += s.substr(0, 20);
    CHECK(s.size() == 46 + 200);
    CHECK(s.compare(0, 8, "a string") == 0);

    std::pmr::unordered_map<std::pmr::string, int> m{&r};
    for (int i = 0; i < 2000; i++)
      m[std::pmr::string("key number " + std::to_string(i), &r)] = i;
    CHECK(m.size() == 2000);
    CHECK(m.at(std::pmr::string("key number 1234", &r)) == 1234);
    // Nested containers pick up the resource (uses-allocator construction).
    std::pmr::vector<std::pmr::string> words{&r};
    words.emplace_back("one");
    words.emplace_back(200, 'x');
    CHECK(words[1].get_allocator().resource() == &r);
  }
  // Over-aligned allocations go through mp_memalign().
  void *a = r.allocate(100, 4096);
  CHECK(a != nullptr && aligned(a, 4096));
  r.deallocate(a, 100, 4096);
  struct alignas(128) wide {
    char c[200];
  };
  std::pmr::polymorphic_allocator<wide> wa{&r};
  wide *w = wa.allocate(3);
  CHECK(aligned(w, 128));
  wa.deallocate(w, 3);
  // Equality: same pool, equal; other pools and other resources, not.
  mpool::resource r2{p.get()};
  mpool::pool other;
  mpool::resource r3{other};
  CHECK(r == r2 && r.is_equal(r2));
  CHECK(r != r3);
  CHECK(!r.is_equal(*std::pmr::new_delete_resource()));
  // Failure surfaces as std::bad_alloc.
  bool threw = false;
  try {
    (void)r.allocate(MP_MAX_ALLOC_SIZE + 1);
  } catch (const std::bad_alloc &) {
    threw = true;
  }
  CHECK(threw);
  // After the containers are gone, a reset recycles everything.
  p.reset();
  CHECK(p.alloc(64) != nullptr);
  return ok;
}

// Pools on different threads at once, each behind its own resource: the
// shared block cache underneath must be race-free (TSan checks this).
bool test_threads() {
  bool ok = true;
  constexpr int nthreads = 4;
  long sums[nthreads] = {};
  std::vector<std::thread> ts;
  for (int t = 0; t < nthreads; t++) {
    ts.emplace_back([t, &sums] {
      for (int round = 0; round < 20; round++) {
        mpool::pool p(4096);
        mpool::resource r{p};
        std::pmr::vector<long> v{&r};
        for (long i = 0; i < 2000; i++)
          v.push_back(i);
        std::pmr::string s{&r};
        s.append(5000, 'a');
        long sum = 0;
        for (long x : v)
          sum += x;
        sums[t] += sum + static_cast<long>(s.size());
      }
    });
  }
  for (auto &th : ts)
    th.join();
  for (long s : sums)
    CHECK(s == 20 * (2000L * 1999L / 2 + 5000));
  return ok;
}

bool test_other_unit() {
  bool ok = true;
  CHECK(other_unit_allocates() == 1);
  return ok;
}

void run(const char *name, bool (*fn)()) {
  bool ok = false;
  try {
    ok = fn();
  } catch (const std::exception &e) {
    std::fprintf(stderr, "%s: unexpected exception: %s\n", name, e.what());
  }
  (ok ? passed : failed)++;
  std::printf("[%s] %s\n", ok ? "  OK  " : " FAIL ", name);
}

} // namespace

int main() {
  run("raii_and_alloc", test_raii_and_alloc);
  run("move_semantics", test_move_semantics);
  run("factories_and_errors", test_factories_and_errors);
  run("pmr_containers", test_pmr_containers);
  run("threads", test_threads);
  run("other_unit", test_other_unit);
  mpool_cache_flush();
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

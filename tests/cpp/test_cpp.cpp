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
#include <stdexcept>
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

// Names, identifiers and walks of a pool's subtree and of every pool.
bool test_names_and_tree() {
  bool ok = true;
  mpool::pool root;
  CHECK(root.name() == nullptr && root.ident() == nullptr);
  CHECK(root.set_name("server", "toy") == 0);
  CHECK(std::strcmp(root.name(), "server") == 0);
  CHECK(std::strcmp(root.ident(), "toy") == 0);
  mp_pool_t *child = mp_create_child(root.get(), 0);
  CHECK(child != nullptr && mp_pool_set_name(child, "request", "GET /") == 0);
  CHECK(root.set_name(nullptr) == 0 && root.name() == nullptr &&
        root.ident() == nullptr);
  CHECK(root.set_name("server") == 0 && root.ident() == nullptr);

  // A lambda returning nothing visits the whole subtree, depth first.
  std::vector<std::string> seen;
  std::vector<int> depths;
  CHECK(root.walk([&](const mp_pool_info_t &in) {
    seen.emplace_back(in.name != nullptr ? in.name : "(unnamed)");
    depths.push_back(in.depth);
  }) == 0);
  CHECK(seen.size() == 2 && seen[0] == "server" && seen[1] == "request");
  CHECK(depths.size() == 2 && depths[0] == 0 && depths[1] == 1);
  // One returning an int stops the walk with its value.
  int visits = 0;
  CHECK(root.walk([&](const mp_pool_info_t &) {
    return ++visits == 1 ? 7 : 0;
  }) == 7);
  CHECK(visits == 1);
  // A walk of every pool sees this subtree among them.
  bool found = false;
  CHECK(mpool::walk([&](const mp_pool_info_t &in) {
          found = found || in.pool == child;
          return 0;
        }) == 0);
  CHECK(found);
  // An exception stops the walk and comes out once the tree is unlocked:
  // creating a pool afterwards (which takes the lock) does not hang.
  bool threw = false;
  try {
    (void)root.walk([](const mp_pool_info_t &) -> int {
      throw std::runtime_error("stop");
    });
  } catch (const std::runtime_error &e) {
    threw = std::strcmp(e.what(), "stop") == 0;
  }
  CHECK(threw);
  mpool::pool after;
  CHECK(after);

  // Text and JSON, into a string and to a FILE.
  std::string text = root.tree_format();
  CHECK(text.rfind("server: reserved ", 0) == 0);
  CHECK(text.find("\n  request [GET /]: reserved ") != std::string::npos);
  CHECK(!text.empty() && text.back() == '\n');
  std::string json = root.tree_format(MP_TREE_JSON);
  CHECK(json.rfind("[", 0) == 0 && json.size() > 3 &&
        json.compare(json.size() - 2, 2, "]\n") == 0);
  CHECK(json.find("\"name\": \"request\", \"ident\": \"GET /\"") !=
        std::string::npos);
  std::string all = mpool::tree_format();
  CHECK(all.find(text) != std::string::npos); // the subtree, as it is
  // Longer than the first guess of the string's size: it grows to fit.
  std::vector<mp_pool_t *> kids;
  for (int i = 0; i < 20; i++) {
    kids.push_back(mp_create_child(child, 0));
    CHECK(kids.back() != nullptr &&
          mp_pool_set_name(kids.back(), "parser", "a longer identifier") == 0);
  }
  std::string big = root.tree_format();
  CHECK(big.size() > 256 && big.size() == std::strlen(big.c_str()));
  std::size_t parsers = 0;
  for (std::size_t at = 0; (at = big.find("parser [", at)) != std::string::npos;
       at++)
    parsers++;
  CHECK(parsers == 20);
  bool bad_flags = false;
  try {
    (void)root.tree_format(8);
  } catch (const std::invalid_argument &) {
    bad_flags = true;
  }
  CHECK(bad_flags);
  std::FILE *f = std::tmpfile();
  CHECK(f != nullptr);
  if (f != nullptr) {
    CHECK(root.tree_print(f) == 0 && mpool::tree_print(f, MP_TREE_JSON) == 0);
    CHECK(std::ftell(f) > static_cast<long>(big.size()));
    std::fclose(f);
  }
  errno = 0;
  CHECK(root.tree_print(nullptr) == -1 && errno == EINVAL);

  // An empty handle: no names, nothing walked, EINVAL where C says so.
  mpool::pool empty = mpool::pool::adopt(nullptr);
  CHECK(empty.name() == nullptr && empty.ident() == nullptr);
  CHECK(empty.walk([](const mp_pool_info_t &) { return 1; }) == 0);
  CHECK(empty.tree_format().empty());
  errno = 0;
  CHECK(empty.tree_print(stdout) == -1 && errno == EINVAL);
  errno = 0;
  CHECK(empty.set_name("x") == -1 && errno == EINVAL);
  return ok;
}

// Reset modes, and resetting or destroying the children alone.
bool test_reset_modes() {
  bool ok = true;
  mpool::pool p(4096);
  auto reserved = [&p] {
    mp_stats_t st;
    std::memset(&st, 0, sizeof st);
    st.size = sizeof st;
    return mp_stats(p.get(), &st, 0) == 0 ? st.bytes_reserved : 0;
  };
  const std::size_t fresh = reserved();
  for (int i = 0; i < 64; i++)
    CHECK(p.alloc(1000) != nullptr);
  const std::size_t grown = reserved();
  CHECK(grown > fresh);
  CHECK(p.reset(MP_RESET_RETAIN) == 0 && reserved() == grown);
  for (int i = 0; i < 64; i++)
    CHECK(p.alloc(1000) != nullptr);
  // Debug builds keep released objects in a quarantine, counted in
  // bytes_reserved beyond what the mode keeps.
  const bool exact = (mpool_build_flags() & MPOOL_BUILD_DEBUG) == 0;
  CHECK(p.reset(MP_RESET_FREE_ALL) == 0 && (reserved() == fresh || !exact));
  for (int i = 0; i < 64; i++)
    CHECK(p.alloc(1000) != nullptr);
  CHECK(p.reset(MP_RESET_RETAIN_LIMIT, grown / 2) == 0);
  CHECK((reserved() <= grown / 2 || !exact) && reserved() >= fresh);
  errno = 0;
  CHECK(p.reset(MP_RESET_RETAIN, 100) == -1 && errno == EINVAL);
  errno = 0;
  // 3: unknown, yet in the range of the enum (99 would not be, in C++).
  CHECK(p.reset(static_cast<mp_reset_mode_t>(3)) == -1 && errno == EINVAL);

  mp_pool_t *a = mp_create_child(p.get(), 0);
  mp_pool_t *b = mp_create_child(p.get(), 0);
  CHECK(a != nullptr && b != nullptr);
  void *own = p.alloc(100);
  CHECK(own != nullptr && mp_alloc(a, 5000) != nullptr);
  CHECK(p.reset_children() == 0);
  int pools = 0;
  CHECK(p.walk([&](const mp_pool_info_t &in) {
    pools++;
    if (in.pool == a)
      CHECK(in.bytes_used == 0);
  }) == 0);
  CHECK(pools == 3);
  CHECK(p.destroy_children() == 0);
  pools = 0;
  CHECK(p.walk([&](const mp_pool_info_t &) { pools++; }) == 0);
  CHECK(pools == 1);
  CHECK(p.free(own) == 0); // the pool's own object outlived both calls

  mpool::pool empty = mpool::pool::adopt(nullptr);
  errno = 0;
  CHECK(empty.reset(MP_RESET_FREE_ALL) == -1 && errno == EINVAL);
  errno = 0;
  CHECK(empty.reset_children() == -1 && errno == EINVAL);
  errno = 0;
  CHECK(empty.destroy_children() == -1 && errno == EINVAL);
  return ok;
}

struct events {
  int allocs = 0, frees = 0, destroys = 0;
  std::string last_name;
};

void count_event(const mp_event_t *ev, void *arg) {
  auto *e = static_cast<events *>(arg);
  if (ev->kind == MP_EVENT_ALLOC)
    e->allocs++;
  else if (ev->kind == MP_EVENT_FREE)
    e->frees++;
  else if (ev->kind == MP_EVENT_DESTROY)
    e->destroys++;
  if (ev->kind >= MP_EVENT_ALLOC)
    e->last_name = ev->name != nullptr ? ev->name : "";
}

// A pool's hook, and the process-wide one (through a resource too).
bool test_hooks() {
  bool ok = true;
  events mine;
  {
    mpool::pool p;
    CHECK(p.set_name("hooked") == 0);
    CHECK(p.set_hook(count_event, &mine, MP_HOOK_OBJECTS) == 0);
    void *a = p.alloc(40);
    CHECK(a != nullptr && p.nalloc(3) != nullptr);
    p.free(a, 40);
    CHECK(mine.allocs == 2 && mine.frees == 1 && mine.last_name == "hooked");
    CHECK(p.set_hook(nullptr, nullptr) == 0);
    CHECK(p.alloc(8) != nullptr && mine.allocs == 2);
    errno = 0;
    CHECK(p.set_hook(count_event, &mine, 0x80) == -1 && errno == EINVAL);
  }
  events all;
  CHECK(mpool::set_global_hook(count_event, &all, MP_HOOK_OBJECTS) == 0);
  {
    mpool::pool q; // created after the hook: its objects are told
    CHECK(q.set_name("global") == 0);
    mpool::resource r{q};
    std::pmr::vector<int> v{&r};
    v.assign(100, 1);
    CHECK(all.allocs >= 1 && all.last_name == "global");
  }
  CHECK(all.destroys >= 1);
  CHECK(mpool::set_global_hook(nullptr, nullptr) == 0);
  int before = all.allocs;
  {
    mpool::pool z;
    CHECK(z.alloc(16) != nullptr);
  }
  CHECK(all.allocs == before);
  errno = 0;
  CHECK(mpool::set_global_hook(count_event, &all, 0x80) == -1 &&
        errno == EINVAL);
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
  run("names_and_tree", test_names_and_tree);
  run("reset_modes", test_reset_modes);
  run("hooks", test_hooks);
  mpool_cache_flush();
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}

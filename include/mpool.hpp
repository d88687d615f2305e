/** @file
 * mpool.hpp -- C++17 interface to mpool.  Header-only: link with mpool as a
 * C program would (mpool::mpool, or pkg-config mpool).
 *
 *   - mpool::pool owns one mp_pool_t: move-only, destroys the pool when it
 *     goes out of scope.  Constructors throw std::bad_alloc when the pool
 *     cannot be created; pool::try_create() returns an empty std::optional
 *     instead.
 *   - mpool::resource is a std::pmr::memory_resource that allocates from a
 *     pool, for std::pmr containers and strings.
 *   - mpool::walk(), mpool::tree_print() and mpool::tree_format() list
 *     every live pool (pool::walk() and the others, one pool's subtree);
 *     a walk's callback may be any callable, and may throw.
 *
 * @code{.cpp}
 * mpool::pool p;                     // default node size
 * mpool::resource r{p};
 * std::pmr::vector<int> v{&r};       // v's memory comes from p
 * @endcode
 *
 * Memory from a pool, including memory a container got through a resource,
 * lives until the pool is reset or destroyed: destroy the containers first.
 * The C header's rules apply: one pool (and the resources over it) is used
 * by one thread at a time; distinct pools may be used on distinct threads.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#ifndef MPOOL_HPP
#define MPOOL_HPP

#include "mpool.h"

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory_resource>
#include <new>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

/** The C++ interface: mpool::pool, mpool::resource, and the pool tree's
 *  walks and the process-wide hook. */
namespace mpool {

/** @cond internal */
namespace detail {

/* mp_walk() over a C++ callable.  The callable gets each pool's
 * mp_pool_info_t and returns an int (non-zero stops the walk) or nothing.
 * An exception must not cross the C walk, which holds the pool tree's
 * lock: it is caught, stops the walk, and is thrown again once the lock is
 * given back. */
template <class F> struct walker {
  F &fn;
  std::exception_ptr error;

  static int call(const mp_pool_info_t *info, void *arg) noexcept {
    auto *w = static_cast<walker *>(arg);
    try {
      if constexpr (std::is_void_v<
                        std::invoke_result_t<F &, const mp_pool_info_t &>>) {
        std::invoke(w->fn, *info);
        return 0;
      } else {
        return static_cast<int>(std::invoke(w->fn, *info));
      }
    } catch (...) {
      w->error = std::current_exception();
      return -1;
    }
  }
};

template <class F> int walk(const mp_pool_t *root, F &fn) {
  walker<F> w{fn, nullptr};
  int r = mp_walk(root, &walker<F>::call, &w);
  if (w.error)
    std::rethrow_exception(w.error);
  return r;
}

/* mp_tree_format() into a std::string, grown until the whole tree fits
 * (it may grow between two calls while other threads create pools). */
inline std::string tree_format(const mp_pool_t *root, int flags) {
  std::string out(256, '\0');
  for (;;) {
    std::size_t len = 0;
    if (mp_tree_format(root, out.data(), out.size(), &len, flags) != 0)
      throw std::invalid_argument("mpool: mp_tree_format: unknown flags");
    if (len < out.size()) {
      out.resize(len);
      return out;
    }
    out.resize(len + 1); /* room for the NUL too */
  }
}

} // namespace detail
/** @endcond */

/** Calls fn(info) for every live pool of the process, as mp_walk(NULL,
 *  ...) does: `fn` takes a `const mp_pool_info_t &` and returns an int
 *  (non-zero stops the walk, and is returned) or nothing.  `fn` must not
 *  create, destroy, reset or name pools.  An exception thrown by `fn`
 *  stops the walk and is thrown again once the pool tree is unlocked.
 *  @return 0, or the value that stopped the walk. */
template <class F> int walk(F &&fn) { return detail::walk(nullptr, fn); }

/** Writes every live pool of the process to `out` (mp_tree_print(NULL,
 *  out, flags); flags 0 or MP_TREE_JSON).
 *  @return 0, or -1 with errno set. */
inline int tree_print(std::FILE *out, int flags = 0) noexcept {
  return mp_tree_print(nullptr, out, flags);
}

/** Every live pool of the process as text or, with MP_TREE_JSON, JSON
 *  (mp_tree_format(NULL, ...)).  Throws std::bad_alloc when the string
 *  cannot grow, std::invalid_argument for unknown flags. */
inline std::string tree_format(int flags = 0) {
  return detail::tree_format(nullptr, flags);
}

/** Sets the process-wide allocation-event hook (mpool_set_hook(); fn
 *  nullptr: none), with MP_HOOK_OBJECTS for object events of pools
 *  created from then on.
 *  @return 0, or -1 with errno EINVAL (unknown flags). */
inline int set_global_hook(mp_event_fn fn, void *arg,
                           unsigned flags = 0) noexcept {
  return mpool_set_hook(fn, arg, flags);
}

/** An owning handle to a pool. */
class pool {
public:
  /** Creates a pool whose nodes hold `node_size` bytes (0: the default, see
   *  mp_create_pool()).  Throws std::bad_alloc if the pool cannot be created
   *  (out of memory, or a node size above MP_MAX_NODE_SIZE). */
  explicit pool(std::size_t node_size = 0) : p_(mp_create_pool(node_size)) {
    if (p_ == nullptr)
      throw std::bad_alloc();
  }

  /** Creates a pool with the given options (see mp_create_pool_ex()).
   *  Throws std::bad_alloc if the pool cannot be created (out of memory, or
   *  an option out of range). */
  explicit pool(const mp_options_t &options) : p_(mp_create_pool_ex(&options)) {
    if (p_ == nullptr)
      throw std::bad_alloc();
  }

  /** Non-throwing creation: an empty optional on failure, with errno set as
   *  by mp_create_pool(). */
  [[nodiscard]] static std::optional<pool>
  try_create(std::size_t node_size = 0) noexcept {
    return from(mp_create_pool(node_size));
  }

  /** Non-throwing creation with options: an empty optional on failure, with
   *  errno set as by mp_create_pool_ex(). */
  [[nodiscard]] static std::optional<pool>
  try_create(const mp_options_t &options) noexcept {
    return from(mp_create_pool_ex(&options));
  }

  /** Takes ownership of a pool made by mp_create_pool() or
   *  mp_create_pool_ex().  NULL gives an empty handle. */
  [[nodiscard]] static pool adopt(mp_pool_t *p) noexcept { return pool(p); }

  /** Not copyable: a pool has one owner. */
  pool(const pool &) = delete;
  /** Not copyable: a pool has one owner. */
  pool &operator=(const pool &) = delete;

  /** Moves ownership; `other` is left empty. */
  pool(pool &&other) noexcept : p_(std::exchange(other.p_, nullptr)) {}

  /** Destroys the pool held, then takes `other`'s; `other` is left empty. */
  pool &operator=(pool &&other) noexcept {
    if (this != &other) {
      mp_destroy_pool(p_);
      p_ = std::exchange(other.p_, nullptr);
    }
    return *this;
  }

  /** Destroys the pool and everything allocated from it. */
  ~pool() { mp_destroy_pool(p_); }

  /** The pool, for the C API; NULL for an empty handle. */
  [[nodiscard]] mp_pool_t *get() const noexcept { return p_; }

  /** True unless the handle is empty (moved from, released, adopted NULL). */
  explicit operator bool() const noexcept { return p_ != nullptr; }

  /** Gives up ownership: returns the pool, which the caller must destroy
   *  with mp_destroy_pool(), and leaves the handle empty. */
  [[nodiscard]] mp_pool_t *release() noexcept {
    return std::exchange(p_, nullptr);
  }

  /** Releases everything allocated from the pool and keeps its nodes
   *  (mp_reset_pool()). */
  void reset() noexcept { mp_reset_pool(p_); }

  /** Resets the pool, then keeps its nodes (MP_RESET_RETAIN), only what a
   *  new pool holds (MP_RESET_FREE_ALL) or at most `limit` bytes
   *  (MP_RESET_RETAIN_LIMIT): mp_reset_pool_mode().
   *  @return 0, or -1 with errno EINVAL (an unknown mode, a limit with a
   *          mode that takes none, an empty handle). */
  int reset(mp_reset_mode_t mode, std::size_t limit = 0) noexcept {
    return mp_reset_pool_mode(p_, mode, limit);
  }

  /** Resets every descendant and keeps them all; the pool itself is left
   *  alone (mp_reset_children()).
   *  @return 0, or -1 with errno EINVAL (an empty handle). */
  int reset_children() noexcept { return mp_reset_children(p_); }

  /** Destroys every child with its subtree; the pool itself is left alone
   *  (mp_destroy_children()).  Handles of the children must not be used
   *  afterwards.
   *  @return 0, or -1 with errno EINVAL (an empty handle). */
  int destroy_children() noexcept { return mp_destroy_children(p_); }

  /** Names the pool: `name` says what kind of pool it is, `ident` which
   *  one; both copied, either may be nullptr (mp_pool_set_name()).
   *  @return 0, or -1 with errno set (EINVAL for an empty handle,
   *          ENOMEM). */
  int set_name(const char *name, const char *ident = nullptr) noexcept {
    return mp_pool_set_name(p_, name, ident);
  }

  /** The pool's name (mp_pool_name()), or nullptr: valid until the next
   *  set_name() or the pool's destroy. */
  [[nodiscard]] const char *name() const noexcept { return mp_pool_name(p_); }

  /** The pool's identifier (mp_pool_ident()), or nullptr. */
  [[nodiscard]] const char *ident() const noexcept { return mp_pool_ident(p_); }

  /** Calls fn(info) for the pool and each of its descendants, as
   *  mp_walk(get(), ...) does; `fn` as for mpool::walk().  On an empty
   *  handle, walks nothing.
   *  @return 0, or the value that stopped the walk. */
  template <class F> int walk(F &&fn) const {
    return p_ != nullptr ? detail::walk(p_, fn) : 0;
  }

  /** Writes the pool and its descendants to `out` as text or, with
   *  MP_TREE_JSON, JSON (mp_tree_print()).
   *  @return 0, or -1 with errno set (EINVAL for an empty handle). */
  int tree_print(std::FILE *out, int flags = 0) const noexcept {
    if (p_ == nullptr) {
      errno = EINVAL;
      return -1;
    }
    return mp_tree_print(p_, out, flags);
  }

  /** The pool and its descendants as text or JSON (mp_tree_format());
   *  empty for an empty handle.  Throws std::bad_alloc when the string
   *  cannot grow, std::invalid_argument for unknown flags. */
  [[nodiscard]] std::string tree_format(int flags = 0) const {
    return p_ != nullptr ? detail::tree_format(p_, flags) : std::string();
  }

  /** Sets the pool's allocation-event hook (mp_pool_set_hook(); fn
   *  nullptr: none), called with `arg`; with MP_HOOK_OBJECTS for object
   *  events too.  `arg` must stay valid while the hook is set.
   *  @return 0, or -1 with errno EINVAL or ENOMEM. */
  int set_hook(mp_event_fn fn, void *arg, unsigned flags = 0) noexcept {
    return mp_pool_set_hook(p_, fn, arg, flags);
  }

  /** `n` bytes aligned to the pool's alignment (mp_alloc()), or nullptr
   *  with errno set. */
  [[nodiscard]] void *alloc(std::size_t n) noexcept { return mp_alloc(p_, n); }

  /** `n` bytes aligned to `align`, a power of two: mp_alloc() up to
   *  alignof(std::max_align_t), mp_memalign() above.  nullptr with errno
   *  set on failure (EINVAL if `align` is not a power of two). */
  [[nodiscard]] void *alloc(std::size_t n, std::size_t align) noexcept {
    if (align != 0 && (align & (align - 1)) == 0 &&
        align <= alignof(std::max_align_t))
      return mp_alloc(p_, n);
    return mp_memalign(p_, n, align);
  }

  /** `n` bytes with no alignment (mp_nalloc()), or nullptr. */
  [[nodiscard]] void *nalloc(std::size_t n) noexcept {
    return mp_nalloc(p_, n);
  }

  /** `n` zeroed bytes aligned as for alloc(n) (mp_calloc()), or nullptr. */
  [[nodiscard]] void *calloc(std::size_t n) noexcept {
    return mp_calloc(p_, n);
  }

  /** Releases a block early (mp_free()): 0, or -1 with errno EINVAL for a
   *  pointer that is not from this pool. */
  int free(void *p) noexcept { return mp_free(p_, p); }

  /** Frees an object of `n` bytes early (mp_free_sized()): its memory is
   *  reused.  `n` is the size it was allocated with. */
  void free(void *p, std::size_t n) noexcept { (void)mp_free_sized(p_, p, n); }

  /** Exchanges the pools two handles hold. */
  friend void swap(pool &a, pool &b) noexcept { std::swap(a.p_, b.p_); }

private:
  explicit pool(mp_pool_t *p) noexcept : p_(p) {}

  static std::optional<pool> from(mp_pool_t *p) noexcept {
    if (p == nullptr)
      return std::nullopt;
    return std::optional<pool>(pool(p));
  }

  mp_pool_t *p_;
};

/**
 * A std::pmr::memory_resource over a pool it does not own.  Allocation
 * failure throws std::bad_alloc.  Deallocation is mp_free_sized(): the
 * memory goes back to the pool for reuse.  Two resources are equal when
 * they allocate from the same pool.
 */
class resource : public std::pmr::memory_resource {
public:
  /** A resource over `p`, which must outlive it and every allocation made
   *  through it. */
  explicit resource(pool &p) noexcept : pool_(p.get()) {}

  /** A resource over a C pool, which must outlive it. */
  explicit resource(mp_pool_t *p) noexcept : pool_(p) {}

  /** The pool this resource allocates from. */
  [[nodiscard]] mp_pool_t *get() const noexcept { return pool_; }

protected:
  /** Allocates `bytes` bytes aligned to `align`: mp_alloc() up to
   *  alignof(std::max_align_t), mp_memalign() above.  Throws
   *  std::bad_alloc on failure. */
  void *do_allocate(std::size_t bytes, std::size_t align) override {
    void *p = align <= alignof(std::max_align_t)
                  ? mp_alloc(pool_, bytes)
                  : mp_memalign(pool_, bytes, align);
    if (p == nullptr)
      throw std::bad_alloc();
    return p;
  }

  /** Frees `p`, of `bytes` bytes, with mp_free_sized(); `align` is not
   *  needed. */
  void do_deallocate(void *p, std::size_t bytes, std::size_t align) override {
    (void)align;
    (void)mp_free_sized(pool_, p, bytes);
  }

  /** True for `*this`, and for another resource over the same pool (without
   *  RTTI, only for `*this`). */
  bool
  do_is_equal(const std::pmr::memory_resource &other) const noexcept override {
    if (this == &other)
      return true;
#if defined(__cpp_rtti) || defined(__GXX_RTTI) || defined(_CPPRTTI)
    const auto *o = dynamic_cast<const resource *>(&other);
    return o != nullptr && o->pool_ == pool_;
#else
    return false;
#endif
  }

private:
  mp_pool_t *pool_;
};

} // namespace mpool

#endif /* MPOOL_HPP */

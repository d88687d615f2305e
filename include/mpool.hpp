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

#include <cstddef>
#include <memory_resource>
#include <new>
#include <optional>
#include <utility>

/** The C++ interface: mpool::pool and mpool::resource. */
namespace mpool {

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

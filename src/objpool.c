/*
 * Object pools: objects of one size and alignment, taken and put back in
 * O(1) through a LIFO list threaded through the free objects themselves.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include "mp_internal.h"

struct mp_free_obj {
  struct mp_free_obj *next;
};

struct mp_objpool_s {
  mp_pool_t *pool;
  struct mp_free_obj *free;
  size_t size;
  size_t align; /* 0: the pool's own */
};

mp_objpool_t *mp_objpool_create(mp_pool_t *pool, size_t size, size_t align) {
  if (pool == NULL ||
      (align != 0 && (!MP_IS_POW2(align) || align < sizeof(void *) ||
                      align > MP_MAX_NODE_SIZE)))
    return mp__fail(EINVAL);
  if (size > MP_MAX_ALLOC_SIZE)
    return mp__fail(EOVERFLOW);
#ifdef MP_DEBUG
  mp__dbg_internal();
#endif
  mp_objpool_t *op = mp_alloc(pool, sizeof *op);
  if (op == NULL)
    return NULL;
  op->pool = pool;
  op->free = NULL;
  op->size =
      size < sizeof(struct mp_free_obj) ? sizeof(struct mp_free_obj) : size;
  op->align = align <= pool->align ? 0 : align;
  return op;
}

void *mp_objpool_get(mp_objpool_t *op) {
  if (op == NULL)
    return mp__fail(EINVAL);
  struct mp_free_obj *o = op->free;
  if (o != NULL) {
    op->free = o->next;
    if (MP_WIPING(op->pool))
      mp__wipe(o, sizeof *o); /* handed out zeroed, link included */
    return o;
  }
  return op->align ? mp_memalign(op->pool, op->size, op->align)
                   : mp_alloc(op->pool, op->size);
}

int mp_objpool_put(mp_objpool_t *op, void *obj) {
  if (op == NULL) {
    errno = EINVAL;
    return -1;
  }
  if (obj != NULL) {
    struct mp_free_obj *o = obj;
    if (MP_WIPING(op->pool))
      mp__wipe(o, op->size);
    o->next = op->free;
    op->free = o;
  }
  return 0;
}

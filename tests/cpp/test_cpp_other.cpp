/*
 * A second translation unit including <mpool.hpp>: the header defines
 * nothing that would clash at link time.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.hpp>

#include <memory_resource>
#include <vector>

int other_unit_allocates() {
  mpool::pool p;
  mpool::resource r{p};
  std::pmr::vector<double> v{&r};
  v.assign(1000, 1.5);
  return v.size() == 1000 && v[999] == 1.5 ? 1 : 0;
}

// A C++ program built against an installed mpool (CMake package or
// pkg-config; the projects in tests/consumer).
#include <mpool.hpp>

#include <cstdio>
#include <memory_resource>
#include <string>
#include <vector>

int main() {
  mpool::pool pool;
  mpool::resource mr{pool};
  std::pmr::vector<std::pmr::string> v{&mr};
  for (int i = 0; i < 100; i++)
    v.emplace_back("a string that does not fit in the small buffer");
  if (v.size() != 100 || v[99].get_allocator().resource() != &mr)
    return 1;
  std::printf("consumer: ok\n");
  return 0;
}

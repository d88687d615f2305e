/*
 * pmr_example: standard containers on a pool, one pool per request.
 *
 * Counts the words of a few "requests" with std::pmr containers whose memory
 * comes from one mpool::pool through an mpool::resource, and resets the pool
 * between requests: no per-object frees, and after the first request the
 * pool's nodes are reused instead of asking the system for more.
 *
 * SPDX-License-Identifier: BSD-2-Clause
 */
#include <mpool.hpp>

#include <cstdio>
#include <memory_resource>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace {

// The words of `text`, as strings allocated from `mr`.
std::pmr::vector<std::pmr::string> split(std::string_view text,
                                         std::pmr::memory_resource *mr) {
  std::pmr::vector<std::pmr::string> words{mr};
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find(' ', i);
    if (j == std::string_view::npos)
      j = text.size();
    if (j > i)
      words.emplace_back(text.substr(i, j - i)); // uses words' allocator
    i = j + 1;
  }
  return words;
}

} // namespace

int main() {
  static const char *const requests[] = {
      "the quick brown fox jumps over the lazy dog",
      "to be or not to be that is the question",
      "a pool a request a reset",
  };
  try {
    mpool::pool pool; // throws std::bad_alloc if it cannot be created
    for (const char *request : requests) {
      {
        mpool::resource mr{pool};
        auto words = split(request, &mr);
        std::pmr::unordered_map<std::pmr::string, int> counts{&mr};
        for (const auto &w : words)
          ++counts[w];
        // The most frequent word (the first one seen on a tie).
        const std::pmr::string *best = nullptr;
        int best_n = 0;
        for (const auto &w : words) {
          int n = counts[w];
          if (n > best_n) {
            best = &w;
            best_n = n;
          }
        }
        std::printf("%zu words, %zu distinct, most frequent: \"%s\" (%d)\n",
                    words.size(), counts.size(),
                    best != nullptr ? best->c_str() : "", best_n);
      } // the containers are gone: now the pool may be reset
      pool.reset();
    }
  } catch (const std::bad_alloc &) {
    std::fprintf(stderr, "pmr_example: out of memory\n");
    return 1;
  }
  mpool_cache_flush();
  std::printf("pmr_example: ok\n");
  return 0;
}

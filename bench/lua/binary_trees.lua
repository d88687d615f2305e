-- binary-trees: allocate, walk and discard complete binary trees.
--
--   mpool-lua binary_trees.lua [DEPTH]     (default 15)
--
-- The classic benchmark: a stretch tree of depth DEPTH + 1, a long-lived
-- tree of depth DEPTH kept to the end, and for each depth d = 4, 6, ...,
-- DEPTH, 2^(DEPTH - d + 4) trees of depth d built, checked and dropped.
-- A node is a table {left, right}; a leaf is an empty table.  Prints the
-- usual lines and a checksum (the sum of every check) that does not depend
-- on the allocator.

local max_depth = math.tointeger(tonumber(arg and arg[1] or "15")) or 15
local min_depth = 4
if max_depth < min_depth + 2 then max_depth = min_depth + 2 end

local function bottom_up(depth)
  if depth == 0 then return {} end
  depth = depth - 1
  return { bottom_up(depth), bottom_up(depth) }
end

local function check(tree)
  local left = tree[1]
  if left then return 1 + check(left) + check(tree[2]) end
  return 1
end

local sum = 0
local c = check(bottom_up(max_depth + 1))
sum = sum + c
io.write(string.format("stretch tree of depth %d\t check: %d\n",
                       max_depth + 1, c))

local long_lived = bottom_up(max_depth)

for depth = min_depth, max_depth, 2 do
  local iterations = 1 << (max_depth - depth + min_depth)
  c = 0
  for _ = 1, iterations do c = c + check(bottom_up(depth)) end
  sum = sum + c
  io.write(string.format("%d\t trees of depth %d\t check: %d\n",
                         iterations, depth, c))
end

c = check(long_lived)
sum = sum + c
io.write(string.format("long lived tree of depth %d\t check: %d\n",
                       max_depth, c))
io.write(string.format("checksum %d\n", sum))

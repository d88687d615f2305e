-- k-nucleotide: count the k-mers of a generated DNA sequence in hash tables.
--
--   mpool-lua k_nucleotide.lua [LENGTH [ROUNDS]]     (default 250000 3)
--
-- Generates LENGTH bases with the fasta benchmark's random generator and
-- its Homo sapiens frequencies, then, as the classic k-nucleotide does,
-- counts every k-mer for k = 1, 2 (printed by frequency) and the
-- occurrences of GGT, GGTA, GGTATT, GGTATTTTAATT and GGTATTTTAATTTATAGT,
-- each count in a fresh table keyed by the k-mer strings.  The whole
-- counting is done ROUNDS times (the second argument, default 3) so that
-- tables keep being built, grown and dropped.  Prints the results and a
-- checksum of them that does not depend on the allocator.

local n = math.tointeger(tonumber(arg and arg[1] or "250000")) or 250000
local rounds = math.tointeger(tonumber(arg and arg[2] or "3")) or 3

-- fasta's generator: a linear congruential sequence, no floating-point
-- state, so every run makes the same text.
local IM, IA, IC = 139968, 3877, 29573
local last = 42
local function random()
  last = (last * IA + IC) % IM
  return last
end

local homo = {
  { "a", 0.3029549426680 }, { "c", 0.1979883004921 },
  { "g", 0.1975473066391 }, { "t", 0.3015094502008 },
}
local cumulative, p = {}, 0
for i, e in ipairs(homo) do
  p = p + e[2]
  cumulative[i] = { e[1]:upper(), math.floor(p * IM) }
end
cumulative[#cumulative][2] = IM

local function generate(len)
  local chunk, out = {}, {}
  for i = 1, len do
    local r = random()
    for j = 1, #cumulative do
      local e = cumulative[j]
      if r < e[2] then chunk[#chunk + 1] = e[1]; break end
    end
    if #chunk == 60 or i == len then
      out[#out + 1] = table.concat(chunk)
      chunk = {}
    end
  end
  return table.concat(out)
end

local seq = generate(n)
local sub = string.sub

local function count(k)
  local t = {}
  for i = 1, #seq - k + 1 do
    local s = sub(seq, i, i + k - 1)
    t[s] = (t[s] or 0) + 1
  end
  return t
end

local lines = {}
local function emit(s) lines[#lines + 1] = s end

local function frequencies(k)
  local t, total, keys = count(k), 0, {}
  for key, v in pairs(t) do
    keys[#keys + 1] = key
    total = total + v
  end
  table.sort(keys, function(a, b)
    if t[a] ~= t[b] then return t[a] > t[b] end
    return a < b
  end)
  for _, key in ipairs(keys) do
    emit(string.format("%s %.3f", key, 100 * t[key] / total))
  end
  emit("")
end

local targets = { "GGT", "GGTA", "GGTATT", "GGTATTTTAATT",
                  "GGTATTTTAATTTATAGT" }

for round = 1, rounds do
  lines = {}
  frequencies(1)
  frequencies(2)
  for _, s in ipairs(targets) do
    emit(string.format("%d\t%s", count(#s)[s] or 0, s))
  end
  if round == 1 then io.write(table.concat(lines, "\n"), "\n") end
end

-- FNV-1a over the report, 32 bits
local h = 2166136261
local text = table.concat(lines, "\n")
for i = 1, #text do
  h = ((h ~ text:byte(i)) * 16777619) & 0xffffffff
end
io.write(string.format("checksum %08x\n", h))

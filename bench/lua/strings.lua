-- strings: build, rewrite and take apart text, as templating and log
-- processing code does.
--
--   mpool-lua strings.lua [ROUNDS]     (default 90)
--
-- Each round formats 2000 records with string.format, string.rep and
-- `..` into lines, joins them with table.concat, rewrites the document
-- with gsub (a literal pattern, then a capture with a replacement
-- function), splits it again with gmatch into fresh keys, and grows a
-- string piece by piece with `..` (every step a new string).  Nothing
-- is kept from one round to the next, so the collector frees each round's
-- strings while the next one allocates.  Prints a checksum that does not
-- depend on the allocator.

local rounds = math.tointeger(tonumber(arg and arg[1] or "90")) or 90
local records = 2000

local fmt, rep, concat = string.format, string.rep, table.concat
local domains = { "alpha", "beta", "gamma", "delta", "epsilon" }

local function fnv(h, s)
  for i = 1, #s, 7 do -- every 7th byte: enough to tell texts apart
    h = ((h ~ s:byte(i)) * 16777619) & 0xffffffff
  end
  return h
end

local h, total = 2166136261, 0
for round = 1, rounds do
  local lines = {}
  for i = 1, records do
    local x = (i * 7919 + round * 104729) % 100003
    local name = fmt("user%05d", x)
    local email = name .. "@" .. domains[x % 5 + 1] .. ".example.org"
    local note = rep("ab", x % 17) .. tostring(x % 977)
    lines[i] = fmt("%s;%s;%d;%s;%.2f", name, email, (x * 31) % 1000, note,
                   x / 7)
  end
  local doc = concat(lines, "\n")

  local renamed = doc:gsub("example", "test")
  local tagged, ntag = renamed:gsub("(%d+)%.(%d+)", function(a, b)
    return "<" .. b .. "." .. a .. ">"
  end)

  local seen, nkeys = {}, 0
  for name, email in tagged:gmatch("([^;\n]+);([^;\n]+)") do
    local key = email .. "|" .. name
    if not seen[key] then
      seen[key] = true
      nkeys = nkeys + 1
    end
  end

  local s = ""
  for i = 1, 400 do
    s = s .. domains[i % 5 + 1]
    if #s > 1500 then
      h = fnv(h, s)
      s = tostring(i)
    end
  end

  h = fnv(fnv(h, tagged), s)
  total = total + #doc + #tagged + ntag + nkeys
end

io.write(fmt("rounds %d, %d bytes of text\n", rounds, total))
io.write(fmt("checksum %08x\n", h))

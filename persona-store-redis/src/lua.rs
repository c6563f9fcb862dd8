//! The Lua scripts. Each runs atomically in Redis; each receives the namespace's key prefix as
//! `ARGV[1]` and builds every key from it (all keys share the namespace's hash tag, so they sit in
//! the slot of `KEYS[1]`, the namespace's audit counter).

use std::sync::LazyLock;

use redis::Script;

/// Applies a planned batch: compare-and-set checks first (nothing is written when one fails), then
/// the audit entries (seqs from one `INCRBY`), the record hashes, and the grouped index commands.
///
/// ARGV after the prefix, each section starting with its count:
/// 1. checks: `suffix, expected` — the record hash's `s` field must equal `expected` (`""` for
///    a missing record), else the reply is `{"stale"}`;
/// 2. reference checks: `suffix` — the set must be empty, else `{"referenced", count}`;
/// 3. ops, in order: `audit list suffix, audit json, label, history suffix, version, history
///    head, document` — the label is `""` for none or `"=" .. label`; the history entry is
///    `head .. document .. "}}"` (skipped when the history suffix is `""`);
/// 4. records: `suffix, op, deleted` — `HSET d <document of op> x <deleted> s <seq of op>`;
/// 5. commands: `name, suffix, argc, args…` among `SADD SREM ZADD ZREM HSET HDEL DEL SET STRIP`
///    (`STRIP ar:…` erases the labels of the seqs in that list).
///
/// Replies `{"ok", first seq - 1}`.
pub(crate) static WRITE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local p = ARGV[1]
local i = 2
local function nxt() local v = ARGV[i]; i = i + 1; return v end
local function call_chunked(cmd, key, args)
  local n = #args
  local step = 4000
  for s = 1, n, step do
    local e = s + step - 1
    if e > n then e = n end
    redis.call(cmd, key, unpack(args, s, e))
  end
end

local nchecks = tonumber(nxt())
for _ = 1, nchecks do
  local got = redis.call('HGET', p .. nxt(), 's')
  if not got then got = '' end
  if got ~= nxt() then return {'stale'} end
end
local nrefs = tonumber(nxt())
for _ = 1, nrefs do
  local n = redis.call('SCARD', p .. nxt())
  if n > 0 then return {'referenced', tostring(n)} end
end

-- validate the command section before writing anything
local allowed = {SADD=1, SREM=1, ZADD=1, ZREM=1, HSET=1, HDEL=1, DEL=1, SET=1, STRIP=1}
do
  local j = i
  local nops = tonumber(ARGV[j]); j = j + 1 + 7 * nops
  local nrec = tonumber(ARGV[j]); j = j + 1 + 3 * nrec
  local ncmd = tonumber(ARGV[j]); j = j + 1
  for _ = 1, ncmd do
    if not allowed[ARGV[j]] then return redis.error_reply('persona: unexpected command') end
    j = j + 3 + tonumber(ARGV[j + 2])
  end
  if j ~= #ARGV + 1 then return redis.error_reply('persona: malformed write') end
end

local nops = tonumber(nxt())
local base = 0
local docs = {}
if nops > 0 then
  base = redis.call('INCRBY', KEYS[1], nops) - nops
  local entries, labels = {}, {}
  local lists = {}
  local order = {}
  for k = 1, nops do
    local seq = base + k
    local rec = nxt()
    entries[#entries + 1] = seq
    entries[#entries + 1] = nxt()
    local label = nxt()
    if label ~= '' then
      labels[#labels + 1] = seq
      labels[#labels + 1] = string.sub(label, 2)
    end
    if not lists[rec] then lists[rec] = {}; order[#order + 1] = rec end
    local l = lists[rec]
    l[#l + 1] = seq
    local hist = nxt()
    local version = nxt()
    local head = nxt()
    docs[k] = nxt()
    if hist ~= '' then redis.call('HSET', p .. hist, version, head .. docs[k] .. '}}') end
  end
  call_chunked('HSET', p .. 'a', entries)
  if #labels > 0 then call_chunked('HSET', p .. 'al', labels) end
  for _, rec in ipairs(order) do call_chunked('RPUSH', p .. rec, lists[rec]) end
end

local nrec = tonumber(nxt())
for _ = 1, nrec do
  local key = p .. nxt()
  local op = tonumber(nxt())
  redis.call('HSET', key, 'd', docs[op], 'x', nxt(), 's', base + op)
end

local ncmd = tonumber(nxt())
for _ = 1, ncmd do
  local cmd = nxt()
  local key = p .. nxt()
  local argc = tonumber(nxt())
  local args = {}
  for j = 1, argc do args[j] = nxt() end
  if cmd == 'STRIP' then
    local seqs = redis.call('LRANGE', key, 0, -1)
    if #seqs > 0 then call_chunked('HDEL', p .. 'al', seqs) end
  elseif argc == 0 then
    redis.call(cmd, key)
  elseif cmd == 'ZADD' or cmd == 'HSET' then
    -- pairs must stay together when chunking
    local step = 4000
    for s = 1, argc, step do
      local e = s + step - 1
      if e > argc then e = argc end
      redis.call(cmd, key, unpack(args, s, e))
    end
  else
    call_chunked(cmd, key, args)
  end
end
return {'ok', tostring(base)}
"#,
    )
});

/// One page of a kind's live records in id order: `ARGV[2]` kind, `ARGV[3]` start bound
/// (`-` or `(id`), `ARGV[4]` count. Replies the documents, in order.
pub(crate) static LIST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local p = ARGV[1]
local ids = redis.call('ZRANGE', p .. 'ids:' .. ARGV[2], ARGV[3], '+', 'BYLEX', 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for k, id in ipairs(ids) do
  out[k] = redis.call('HGET', p .. 'r:' .. ARGV[2] .. ':' .. id, 'd')
end
return out
"#,
    )
});

/// Identity queries: `count`, `facets` and `page` over the candidates selected by a list of
/// clauses (see `query.rs` for the ARGV layout).
///
/// The planner estimates each clause's size in O(log n) (`SCARD`, `ZCOUNT`, `ZLEXCOUNT`), reads
/// the members of the smallest one and filters them through the others in chunks
/// (`SMISMEMBER`, `ZMSCORE`, `HMGET` of the sort-member hash). A page is then taken either by
/// walking the sort index from the cursor and keeping candidates (when they are dense) or by
/// sorting the candidates' sort members in a temporary sorted set (when they are sparse); both give
/// the same records because both order by the same member bytes.
pub(crate) static QUERY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r#"
local p = ARGV[1]
local mode = ARGV[2]
local i = 3
local function nxt() local v = ARGV[i]; i = i + 1; return v end
local CHUNK = 500

-- 16-hex, sign-flipped i64 strings compared as two 32-bit halves (Lua string order follows the
-- server's locale, so it is never used for ordering).
local function hexcmp(a, b)
  local a1, b1 = tonumber(string.sub(a, 1, 8), 16), tonumber(string.sub(b, 1, 8), 16)
  if a1 ~= b1 then if a1 < b1 then return -1 else return 1 end end
  local a2, b2 = tonumber(string.sub(a, 9, 16), 16), tonumber(string.sub(b, 9, 16), 16)
  if a2 ~= b2 then if a2 < b2 then return -1 else return 1 end end
  return 0
end

-- clauses
local nclauses = tonumber(nxt())
local clauses = {}
for c = 1, nclauses do
  local typ = nxt()
  local cl = {typ = typ}
  if typ == 'S' then
    local n = tonumber(nxt())
    cl.keys = {}
    for j = 1, n do cl.keys[j] = p .. nxt() end
  elseif typ == 'Z' then
    cl.key = p .. nxt(); cl.min = nxt(); cl.max = nxt()
    if cl.min ~= '-inf' then cl.lo = tonumber(cl.min) end
    if cl.max ~= '+inf' then cl.hi = tonumber(cl.max) end
  else -- 'L': a time range on a 16-hex sort index, from inclusive, to exclusive
    cl.suffix = nxt(); cl.from = nxt(); cl.to = nxt()
  end
  clauses[c] = cl
end

local function estimate(cl)
  if cl.typ == 'S' then
    local n = 0
    for _, k in ipairs(cl.keys) do n = n + redis.call('SCARD', k) end
    return n
  elseif cl.typ == 'Z' then
    return redis.call('ZCOUNT', cl.key, cl.min, cl.max)
  else
    local lo, hi = '-', '+'
    if cl.from ~= '' then lo = '[' .. cl.from end
    if cl.to ~= '' then hi = '(' .. cl.to end
    return redis.call('ZLEXCOUNT', p .. 'o:' .. cl.suffix, lo, hi)
  end
end

local function members(cl)
  if cl.typ == 'S' then
    if #cl.keys == 1 then return redis.call('SMEMBERS', cl.keys[1]) end
    return redis.call('SUNION', unpack(cl.keys))
  elseif cl.typ == 'Z' then
    return redis.call('ZRANGE', cl.key, cl.min, cl.max, 'BYSCORE')
  else
    local lo, hi = '-', '+'
    if cl.from ~= '' then lo = '[' .. cl.from end
    if cl.to ~= '' then hi = '(' .. cl.to end
    local ms = redis.call('ZRANGE', p .. 'o:' .. cl.suffix, lo, hi, 'BYLEX')
    for k, m in ipairs(ms) do ms[k] = string.sub(m, 17) end
    return ms
  end
end

-- keeps the ids of `ids` that satisfy `cl`
local function filter(cl, ids)
  local out = {}
  for s = 1, #ids, CHUNK do
    local e = math.min(s + CHUNK - 1, #ids)
    local part = {unpack(ids, s, e)}
    local keep = {}
    if cl.typ == 'S' then
      for _, k in ipairs(cl.keys) do
        local hits = redis.call('SMISMEMBER', k, unpack(part))
        for j, h in ipairs(hits) do if h == 1 then keep[j] = true end end
      end
    elseif cl.typ == 'Z' then
      local scores = redis.call('ZMSCORE', cl.key, unpack(part))
      for j, sc in ipairs(scores) do
        if sc then
          local v = tonumber(sc)
          if (cl.lo == nil or v >= cl.lo) and (cl.hi == nil or v <= cl.hi) then keep[j] = true end
        end
      end
    else
      local ms = redis.call('HMGET', p .. 'v:' .. cl.suffix, unpack(part))
      for j, m in ipairs(ms) do
        if m then
          local v = string.sub(m, 1, 16)
          if (cl.from == '' or hexcmp(v, cl.from) >= 0) and (cl.to == '' or hexcmp(v, cl.to) < 0) then
            keep[j] = true
          end
        end
      end
    end
    for j = 1, #part do if keep[j] then out[#out + 1] = part[j] end end
  end
  return out
end

-- the candidate ids, or nil for "every live identity"
local cands = nil
if nclauses > 0 then
  local best, bestn = nil, nil
  for _, cl in ipairs(clauses) do
    cl.n = estimate(cl)
    if bestn == nil or cl.n < bestn then best, bestn = cl, cl.n end
  end
  if bestn == 0 then
    cands = {}
  else
    cands = members(best)
    for _, cl in ipairs(clauses) do
      if cl ~= best and #cands > 0 then cands = filter(cl, cands) end
    end
  end
end

if mode == 'count' then
  if cands == nil then return redis.call('ZCARD', p .. 'ids:identity') end
  return #cands
end

if mode == 'facets' then
  local nf = tonumber(nxt())
  local out = {}
  for f = 1, nf do
    local suffix = nxt()
    local counts, order = {}, {}
    local function add(v)
      if v then
        if not counts[v] then counts[v] = 0; order[#order + 1] = v end
        counts[v] = counts[v] + 1
      end
    end
    if cands == nil then
      for _, v in ipairs(redis.call('HVALS', p .. 'v:' .. suffix)) do add(v) end
    else
      for s = 1, #cands, CHUNK do
        local e = math.min(s + CHUNK - 1, #cands)
        for _, v in ipairs(redis.call('HMGET', p .. 'v:' .. suffix, unpack(cands, s, e))) do add(v) end
      end
    end
    local pairs_ = {}
    for _, v in ipairs(order) do pairs_[#pairs_ + 1] = v; pairs_[#pairs_ + 1] = tostring(counts[v]) end
    out[f] = pairs_
  end
  return out
end

-- mode == 'page': sort suffix, 'asc'|'desc', cursor member ('' for none), id offset
-- ('' for text members), limit + 1, temporary key suffix
local sort = nxt()
local desc = nxt() == 'desc'
local after = nxt()
local offset = nxt()
local want = tonumber(nxt())
local tmp = p .. nxt()
local index = p .. 'o:' .. sort

local function id_of(m)
  if offset ~= '' then return string.sub(m, tonumber(offset)) end
  local pos = string.find(m, '\0\1', 1, true)
  return string.sub(m, pos + 2)
end

local function range(key, start, count)
  if desc then
    if start == nil then start = '+' end
    return redis.call('ZRANGE', key, start, '-', 'BYLEX', 'REV', 'LIMIT', 0, count)
  else
    if start == nil then start = '-' end
    return redis.call('ZRANGE', key, start, '+', 'BYLEX', 'LIMIT', 0, count)
  end
end

local start = nil
if after ~= '' then start = '(' .. after end
local page = {}
if cands == nil then
  for _, m in ipairs(range(index, start, want)) do page[#page + 1] = id_of(m) end
elseif #cands > 0 then
  local total = redis.call('ZCARD', index)
  if #cands * #cands >= want * total then
    -- dense: walk the index from the cursor, keep candidates
    local set = {}
    for _, id in ipairs(cands) do set[id] = true end
    local from = start
    while #page < want do
      local ms = range(index, from, CHUNK)
      for _, m in ipairs(ms) do
        local id = id_of(m)
        if set[id] then
          page[#page + 1] = id
          if #page >= want then break end
        end
      end
      if #ms < CHUNK then break end
      from = '(' .. ms[#ms]
    end
  else
    -- sparse: sort the candidates' members in a temporary sorted set
    redis.call('DEL', tmp)
    for s = 1, #cands, CHUNK do
      local e = math.min(s + CHUNK - 1, #cands)
      local ms = redis.call('HMGET', p .. 'v:' .. sort, unpack(cands, s, e))
      local args = {}
      for _, m in ipairs(ms) do if m then args[#args + 1] = 0; args[#args + 1] = m end end
      if #args > 0 then redis.call('ZADD', tmp, unpack(args)) end
    end
    for _, m in ipairs(range(tmp, start, want)) do page[#page + 1] = id_of(m) end
    redis.call('DEL', tmp)
  end
end
local docs = {}
for k, id in ipairs(page) do docs[k] = redis.call('HGET', p .. 'r:identity:' .. id, 'd') end
return docs
"#,
    )
});

//! The Lua scripts. Each runs atomically in Redis; each receives the namespace's key prefix as
//! `ARGV[1]` and builds every key from it (all keys share the namespace's hash tag, so they sit in
//! the slot of `KEYS[1]`, the namespace's audit counter).

use std::sync::LazyLock;

use redis::Script;

use crate::keys;

/// A script's source: the layout this build reads and the layout check, then `body`.
fn source(body: &str) -> String {
    let prefixes: Vec<String> = keys::INDEX_PREFIXES
        .iter()
        .map(|p| format!("'{p}'"))
        .collect();
    format!(
        "local LAYOUT = '{}'\nlocal LAYOUT_KEY = '{}'\nlocal INDEX_PREFIXES = {{{}}}\n{LAYOUT_CHECK}\n{COMMANDS}\n{body}",
        keys::LAYOUT_VERSION,
        keys::LAYOUT,
        prefixes.join(", ")
    )
}

/// The layout check every script that reads or writes indexes runs first (inside the script, so
/// atomic with what it guards): the namespace's layout must be this build's, or absent in a
/// namespace never written (no audit counter, so nothing stored).
const LAYOUT_CHECK: &str = r#"
local function layout_error(p)
  local layout = redis.call('GET', p .. LAYOUT_KEY)
  if layout == LAYOUT then return nil end
  if not layout and redis.call('EXISTS', KEYS[1]) == 0 then return nil end
  return redis.error_reply('PERSONA_LAYOUT ' .. (layout or 'none'))
end
"#;

/// Reads the index commands that end a write's or a rebuild step's arguments, from `ARGV[j]`:
/// their count, then `name, suffix, args` each, `name` one of `allowed`, `args` one MessagePack
/// array, and nothing after them. Returns the commands (`{name, prefix .. suffix, args}`), or
/// `nil` and the error reply (`what` names the script's arguments in it).
const COMMANDS: &str = r#"
local function read_commands(p, j, allowed, what)
  local n = tonumber(ARGV[j]); j = j + 1
  local cmds = {}
  for k = 1, n do
    if not allowed[ARGV[j]] then return nil, redis.error_reply('persona: unexpected command') end
    local ok, args = pcall(cmsgpack.unpack, ARGV[j + 2])
    if not ok or type(args) ~= 'table' then
      return nil, redis.error_reply('persona: malformed ' .. what)
    end
    cmds[k] = {ARGV[j], p .. ARGV[j + 1], args}
    j = j + 3
  end
  if j ~= #ARGV + 1 then return nil, redis.error_reply('persona: malformed ' .. what) end
  return cmds
end
"#;

/// Applies a planned batch: checks first (nothing is written when one fails), then the audit
/// entries (seqs from one `INCRBY`), history, record hashes, and the grouped index commands.
///
/// ARGV after the prefix, each section starting with its count. Records are named by
/// `kindid` = `<kind>:<id>`; their keys are `r:`, `h:` and `ar:` followed by it.
/// 1. ops, in order: `record, audit, info, document, history version` — `record` is the
///    1-based index of the op's record in section 2; `audit` the entry JSON (with a NUL byte and
///    the label appended when it has one); `info` the `VersionInfo` JSON of the new version; a
///    non-empty `history version` stores the op's full history entry (`info` spliced with the
///    document) at that version, for an op that a later op of the batch supersedes. A purge op
///    has empty `info` and `document` and writes only its audit entry.
/// 2. records: `kindid, expect, state, previous version, last op, n, field, value…` — `expect`
///    is `""` when the record must not exist, else its `s` field must equal it (else the reply
///    is `{"stale"}`); `state` is `"d"` (live) or `"z"` (soft-deleted) for a written record, `""`
///    for one only checked; a non-empty `previous version` moves the stored current version into
///    the history hash first; the record hash is then replaced by the document and info of `last
///    op` (in field `state`), `s` = that op's seq, and the `n` extra fields.
/// 3. live checks: `kindid` — the record must exist and not be soft-deleted, else `{"stale"}`;
/// 4. reference checks: `suffix` — the set must be empty, else `{"referenced", count}`;
/// 5. commands: `name, suffix, args` among `SADD SREM ZADD ZREM DEL SET STRIP`, `args` one
///    MessagePack array of strings (`STRIP ar:…` cuts the labels off the audit entries of the
///    seqs in that list).
///
/// Replies `{"ok", first seq - 1}`.
pub(crate) static WRITE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&source(
        r#"
local p = ARGV[1]
local STEP = 4000

-- section offsets, and a validation of the whole layout before anything is read or written
local nops = tonumber(ARGV[2])
local OPS = 3
local j = OPS + 5 * nops
local nrec = tonumber(ARGV[j]); j = j + 1
local recs = {}
for r = 1, nrec do
  recs[r] = j
  j = j + 6 + 2 * tonumber(ARGV[j + 5])
end
local nlive = tonumber(ARGV[j]); local LIVE = j + 1; j = LIVE + nlive
local nrefs = tonumber(ARGV[j]); local REFS = j + 1; j = REFS + nrefs
local cmds, cmds_err = read_commands(p, j,
  {SADD=1, SREM=1, ZADD=1, ZREM=1, DEL=1, SET=1, STRIP=1, COUNT=1}, 'write')
if not cmds then return cmds_err end

-- the namespace's layout: this build's, or none yet (written below) in a namespace never written
local layout_err = layout_error(p)
if layout_err then return layout_err end
local fresh = not redis.call('GET', p .. LAYOUT_KEY)

-- checks (records that must not exist: one EXISTS per chunk of keys)
local absent = {}
for r = 1, nrec do
  local at = recs[r]
  local key = p .. 'r:' .. ARGV[at]
  local expect = ARGV[at + 1]
  if expect == '' then
    absent[#absent + 1] = key
  elseif redis.call('HGET', key, 's') ~= expect then
    return {'stale'}
  end
end
for s = 1, #absent, STEP do
  if redis.call('EXISTS', unpack(absent, s, math.min(s + STEP - 1, #absent))) > 0 then return {'stale'} end
end
for k = LIVE, LIVE + nlive - 1 do
  if redis.call('HEXISTS', p .. 'r:' .. ARGV[k], 'd') == 0 then return {'stale'} end
end
for k = REFS, REFS + nrefs - 1 do
  local n = redis.call('SCARD', p .. ARGV[k])
  if n > 0 then return {'referenced', tostring(n)} end
end

local function chunked(cmd, key, t)
  for s = 1, #t, STEP do
    redis.call(cmd, key, unpack(t, s, math.min(s + STEP - 1, #t)))
  end
end
-- the history entry of a version: its info with the record spliced in
local function entry(kindid, info, doc)
  local kind = string.match(kindid, '^[^:]+')
  return string.sub(info, 1, -2) .. ',"record":{"kind":"' .. kind .. '","record":' .. doc .. '}}'
end

-- the stored current version of a rewritten record moves into its history (read and checked
-- for all of them before anything is written)
local moves = {}
for r = 1, nrec do
  local at = recs[r]
  if ARGV[at + 2] ~= '' and ARGV[at + 3] ~= '' then
    local cur = redis.call('HMGET', p .. 'r:' .. ARGV[at], 'v', 'd', 'z')
    if not cur[1] or not (cur[2] or cur[3]) then
      return redis.error_reply('persona: stored record without version info or document')
    end
    moves[#moves + 1] = {at, cur}
  end
end
for _, move in ipairs(moves) do
  local at, cur = move[1], move[2]
  redis.call('HSET', p .. 'h:' .. ARGV[at], ARGV[at + 3], entry(ARGV[at], cur[1], cur[2] or cur[3]))
  redis.call('DEL', p .. 'r:' .. ARGV[at])
end

if fresh then redis.call('SET', p .. LAYOUT_KEY, LAYOUT) end

-- audit entries, per-record audit lists, superseded versions of this batch
local base = 0
if nops > 0 then
  base = redis.call('INCRBY', KEYS[1], nops) - nops
  local entries, lists, order = {}, {}, {}
  for k = 1, nops do
    local at = OPS + 5 * (k - 1)
    local seq = base + k
    entries[#entries + 1] = seq
    entries[#entries + 1] = ARGV[at + 1]
    local r = tonumber(ARGV[at])
    if not lists[r] then lists[r] = {}; order[#order + 1] = r end
    local l = lists[r]
    l[#l + 1] = seq
    if ARGV[at + 4] ~= '' then
      local kindid = ARGV[recs[r]]
      redis.call('HSET', p .. 'h:' .. kindid, ARGV[at + 4], entry(kindid, ARGV[at + 2], ARGV[at + 3]))
    end
  end
  chunked('HSET', p .. 'a', entries)
  for _, r in ipairs(order) do chunked('RPUSH', p .. 'ar:' .. ARGV[recs[r]], lists[r]) end
end

-- record hashes
for r = 1, nrec do
  local at = recs[r]
  local state = ARGV[at + 2]
  if state ~= '' then
    local op = tonumber(ARGV[at + 4])
    local oa = OPS + 5 * (op - 1)
    local nf = tonumber(ARGV[at + 5])
    redis.call('HSET', p .. 'r:' .. ARGV[at], state, ARGV[oa + 3], 's', base + op, 'v', ARGV[oa + 2],
      unpack(ARGV, at + 6, at + 5 + 2 * nf))
  end
end

-- index commands (unpacked above), many members per call
for k = 1, #cmds do
  local cmd, key, args = cmds[k][1], cmds[k][2], cmds[k][3]
  if cmd == 'STRIP' then
    for _, seq in ipairs(redis.call('LRANGE', key, 0, -1)) do
      local audit = redis.call('HGET', p .. 'a', seq)
      local cut = audit and string.find(audit, '\0', 1, true)
      if cut then redis.call('HSET', p .. 'a', seq, string.sub(audit, 1, cut - 1)) end
    end
  elseif cmd == 'COUNT' then
    -- facet counters: value, delta pairs; a counter that reaches zero is dropped
    for s = 1, #args, 2 do
      if redis.call('HINCRBY', key, args[s], args[s + 1]) <= 0 then redis.call('HDEL', key, args[s]) end
    end
  elseif #args == 0 then
    redis.call(cmd, key)
  else
    -- STEP is even, so score/member pairs stay together
    chunked(cmd, key, args)
  end
end
return {'ok', tostring(base)}
"#,
    ))
});

/// One page of a kind's live records in id order: `ARGV[2]` kind, `ARGV[3]` start bound
/// (`-` or `(id`), `ARGV[4]` count. Replies the documents, in order.
pub(crate) static LIST: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&source(
        r#"
local p = ARGV[1]
local layout_err = layout_error(p)
if layout_err then return layout_err end
local ids = redis.call('ZRANGE', p .. 'ids:' .. ARGV[2], ARGV[3], '+', 'BYLEX', 'LIMIT', 0, tonumber(ARGV[4]))
local out = {}
for k, id in ipairs(ids) do
  out[k] = redis.call('HGET', p .. 'r:' .. ARGV[2] .. ':' .. id, 'd')
end
return out
"#,
    ))
});

/// Identity queries: `count`, `facets` and `page` over the candidates selected by a list of
/// clauses (see `query.rs` for the ARGV layout).
///
/// The planner estimates each clause's size in O(log n) (`SCARD`, `ZCOUNT`, `ZLEXCOUNT`), reads
/// the members of the smallest one and filters them through the others (`SMISMEMBER`, `ZMSCORE`
/// in chunks; a time window reads each candidate's sort field from its record hash). A page is then
/// taken either by walking the sort index from the cursor and keeping candidates (when they are
/// dense) or by sorting the candidates' sort members in a temporary sorted set (when they are
/// sparse); both give the same records because both order by the same member bytes.
///
/// When the matches are estimated to be dense enough (the clauses taken as independent) that
/// reaching a page's end through the sort index reads fewer members than the smallest clause
/// holds, a page skips the candidate read altogether: it walks the sort index from the cursor and
/// filters each chunk through every clause, falling back to the candidate read if the walk has
/// read as many members as that clause holds without filling the page.
///
/// A page in created order on one country and a short age range can instead merge the
/// country's per-age created indexes (`o:ca:<age>:<country>`), whose members all pass the
/// country and age clauses: a chunk of each is filtered through the other clauses, the passing
/// members are ordered together in the temporary sorted set, those up to the earliest chunk end
/// are the page's next matches, and the merge goes on from there — about limit ÷ (share passing
/// the other clauses) members read per page, with the same fallback to the candidate read.
pub(crate) static QUERY: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&source(
        r#"
local p = ARGV[1]
local layout_err = layout_error(p)
if layout_err then return layout_err end
local mode = ARGV[2]
local i = 3
local function nxt() local v = ARGV[i]; i = i + 1; return v end
local CHUNK = 500
-- where each sort key's encoding starts in a record hash's `o` field (the name's runs to the end)
local SORT_AT = {c = 1, u = 17, a = 33, n = 49}

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

-- keeps the ids of `ids` that satisfy `cl` (and, when given, the entries of the parallel list
-- `along` at the same positions, as a second result)
local function filter(cl, ids, along)
  local out, out_along = {}, {}
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
      local at = SORT_AT[cl.suffix]
      for j, id in ipairs(part) do
        local o = redis.call('HGET', p .. 'r:identity:' .. id, 'o')
        if o then
          local v = string.sub(o, at, at + 15)
          if (cl.from == '' or hexcmp(v, cl.from) >= 0) and (cl.to == '' or hexcmp(v, cl.to) < 0) then
            keep[j] = true
          end
        end
      end
    end
    for j = 1, #part do
      if keep[j] then
        out[#out + 1] = part[j]
        if along then out_along[#out_along + 1] = along[s + j - 1] end
      end
    end
  end
  return out, out_along
end

-- a page's arguments: sort suffix, 'asc'|'desc', cursor member ('' for none), id offset ('' for
-- text members), limit + 1, temporary key suffix
-- and the sort index to walk: one country's created index when the filter is on that country
-- (every match is in it), else the namespace's
local sort, desc, after, offset, want, tmp, index
if mode == 'page' then
  sort = nxt(); desc = nxt() == 'desc'; after = nxt(); offset = nxt()
  want = tonumber(nxt()); tmp = p .. nxt()
  local part = nxt()
  if part ~= '' then index = p .. part else index = p .. 'o:' .. sort end
end
-- and the per-(country, age) created indexes a page may merge instead, with the clause that
-- merging them implies
local merge_keys, covered = nil, nil
if mode == 'page' then
  local nmerge = tonumber(nxt())
  if nmerge > 0 then
    merge_keys = {}
    for k = 1, nmerge do merge_keys[k] = p .. nxt() end
    covered = p .. nxt()
  end
end

-- the candidate ids, or nil for "every live identity" (or, with `walk`, for "walk the sort index
-- and filter each chunk through every clause")
local cands = nil
local walk = false
local merging = false
local best, bestn = nil, nil
if nclauses > 0 then
  for _, cl in ipairs(clauses) do
    cl.n = estimate(cl)
    if bestn == nil or cl.n < bestn then best, bestn = cl, cl.n end
  end
  -- most selective first, so later clauses check fewer ids (numbers only: no locale order)
  table.sort(clauses, function(a, b) return a.n < b.n end)
  if bestn == 0 then
    cands = {}
  else
    if mode == 'page' then
      -- Walking the sort index scans about want / (share of records matching) members, the
      -- share estimated as if the clauses were independent; reading the smallest clause reads
      -- bestn. Walk when that is less.
      -- (within a country's index the share is that of the whole namespace over the
      -- country's share, which the filter's country clause contributes to the product)
      local total = redis.call('ZCARD', p .. 'ids:identity')
      if merge_keys then
        -- every member of the merged indexes passes the covered clause: the share is the
        -- other clauses'
        local share = 1
        for _, cl in ipairs(clauses) do
          if cl.key ~= covered then share = share * cl.n / total end
        end
        merging = want < share * bestn
      end
      if not merging then
        local share = 1
        for _, cl in ipairs(clauses) do share = share * cl.n / total end
        local walked = redis.call('ZCARD', index)
        if walked > 0 then share = share * total / walked end
        walk = want < share * bestn
      end
    end
    if not walk and not merging then
      cands = members(best)
      for _, cl in ipairs(clauses) do
        if cl ~= best and #cands > 0 then cands = filter(cl, cands) end
      end
    end
  end
end

if mode == 'count' then
  if cands == nil then return redis.call('ZCARD', p .. 'ids:identity') end
  return #cands
end

if mode == 'facets' then
  local nf = tonumber(nxt())
  local wanted, counts, order = {}, {}, {}
  for f = 1, nf do wanted[f] = tonumber(nxt()); counts[f] = {}; order[f] = {} end
  -- a record hash's `f` field: five values, each `-` or `<length>:<bytes>`
  local function add(id)
    local packed = redis.call('HGET', p .. 'r:identity:' .. id, 'f')
    if not packed then return end
    local values, pos = {}, 1
    for k = 1, 5 do
      if string.sub(packed, pos, pos) == '-' then
        pos = pos + 1
      else
        local colon = string.find(packed, ':', pos, true)
        local len = tonumber(string.sub(packed, pos, colon - 1))
        values[k] = string.sub(packed, colon + 1, colon + len)
        pos = colon + len + 1
      end
    end
    for f = 1, nf do
      local v = values[wanted[f]]
      if v then
        local c = counts[f]
        if not c[v] then c[v] = 0; order[f][#order[f] + 1] = v end
        c[v] = c[v] + 1
      end
    end
  end
  if cands == nil then
    -- every live identity: the counters the writes keep, one hash per facet
    local out = {}
    for f = 1, nf do out[f] = redis.call('HGETALL', p .. 'fc:' .. wanted[f]) end
    return out
  else
    for _, id in ipairs(cands) do add(id) end
  end
  local out = {}
  for f = 1, nf do
    local pairs_ = {}
    for _, v in ipairs(order[f]) do pairs_[#pairs_ + 1] = v; pairs_[#pairs_ + 1] = tostring(counts[f][v]) end
    out[f] = pairs_
  end
  return out
end

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
if walk then
  -- walk the sort index from the cursor, filtering each chunk through every clause; if the
  -- estimate was wrong and the walk has read as many members as the smallest clause holds, read
  -- that clause instead and take the rest of the page from where the walk stopped
  local scanned = 0
  while #page < want do
    local ms = range(index, start, CHUNK)
    local ids = {}
    for k, m in ipairs(ms) do ids[k] = id_of(m) end
    for _, cl in ipairs(clauses) do
      if #ids > 0 then ids = filter(cl, ids) end
    end
    for _, id in ipairs(ids) do
      page[#page + 1] = id
      if #page >= want then break end
    end
    if #ms < CHUNK or #page >= want then break end
    start = '(' .. ms[#ms]
    scanned = scanned + #ms
    if scanned >= bestn then
      cands = members(best)
      for _, cl in ipairs(clauses) do
        if cl ~= best and #cands > 0 then cands = filter(cl, cands) end
      end
      break
    end
  end
end
if merging then
  -- merge the per-age created indexes: read up to `per` members of each from the cursor and
  -- filter them through the other clauses; the members that pass, and the last member read of
  -- each index that may hold more, go into the temporary sorted set (which orders them). Every
  -- member up to the first of those last members has been read from every index: the passing
  -- ones up to it are the page's next matches, in order, and the merge goes on from it. An
  -- index that returns nothing from the cursor is done. Falls back to the smallest clause's
  -- members as the walk above does.
  local others, share = {}, 1
  local total = redis.call('ZCARD', p .. 'ids:identity')
  for _, cl in ipairs(clauses) do
    if cl.key ~= covered then others[#others + 1] = cl; share = share * cl.n / total end
  end
  local live = merge_keys
  local scanned = 0
  while #page < want and #live > 0 do
    -- enough members of each index for the rest of the page, if the estimate holds
    local per = math.min(CHUNK, math.ceil((want - #page) / share / #live * 1.25) + 4)
    local still, lasts, failed = {}, {}, {}
    for _, key in ipairs(live) do
      local ms = range(key, start, per)
      if #ms > 0 then
        still[#still + 1] = key
        scanned = scanned + #ms
        local last = nil
        if #ms == per then last = ms[#ms]; lasts[#lasts + 1] = last end
        local ids = {}
        for k, m in ipairs(ms) do ids[k] = id_of(m) end
        for _, cl in ipairs(others) do
          if #ids > 0 then ids, ms = filter(cl, ids, ms) end
        end
        local args = {}
        for k, m in ipairs(ms) do args[2 * k - 1] = 0; args[2 * k] = m end
        if last and ms[#ms] ~= last then
          failed[last] = true
          args[#args + 1] = 0; args[#args + 1] = last
        end
        if #args > 0 then redis.call('ZADD', tmp, unpack(args)) end
      end
    end
    live = still
    local stop = -1
    for _, m in ipairs(lasts) do
      local r
      if desc then r = redis.call('ZREVRANK', tmp, m) else r = redis.call('ZRANK', tmp, m) end
      if stop < 0 or r < stop then stop = r end
    end
    if stop < 0 then live = {} end
    local ms
    if desc then ms = redis.call('ZRANGE', tmp, 0, stop, 'REV') else ms = redis.call('ZRANGE', tmp, 0, stop) end
    redis.call('DEL', tmp)
    for _, m in ipairs(ms) do
      if not failed[m] then
        page[#page + 1] = id_of(m)
        if #page >= want then break end
      end
    end
    if #ms == 0 then break end
    start = '(' .. ms[#ms]
    if #page < want and #live > 0 and scanned >= bestn then
      cands = members(best)
      for _, cl in ipairs(clauses) do
        if cl ~= best and #cands > 0 then cands = filter(cl, cands) end
      end
      break
    end
  end
end
if cands == nil then
  if not walk and not merging then
    for _, m in ipairs(range(index, start, want)) do page[#page + 1] = id_of(m) end
  end
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
    local from = SORT_AT[sort]
    local to = from + 15
    if sort == 'n' then to = -1 end
    for s = 1, #cands, CHUNK do
      local args = {}
      for k = s, math.min(s + CHUNK - 1, #cands) do
        local o = redis.call('HGET', p .. 'r:identity:' .. cands[k], 'o')
        if o then args[#args + 1] = 0; args[#args + 1] = string.sub(o, from, to) .. cands[k] end
      end
      if #args > 0 then redis.call('ZADD', tmp, unpack(args)) end
    end
    for _, m in ipairs(range(tmp, start, want - #page)) do page[#page + 1] = id_of(m) end
    redis.call('DEL', tmp)
  end
end
local docs = {}
for k, id in ipairs(page) do docs[k] = redis.call('HGET', p .. 'r:identity:' .. id, 'd') end
return docs
"#,
    ))
});

/// Rebuilds a namespace's indexes from its record hashes, one atomic step per call (see
/// `RedisStore::reindex_step`). The layout key holds the rebuild's state: `clear:<token>:<cursor>`
/// while the index keys are deleted, `fill:<token>:<cursor>` while records are indexed again, each
/// step moving the `SCAN` cursor in the same script as its work, so an interrupted rebuild resumes
/// where it stopped. A record indexed by this rebuild has its `b` field set to the token, so a
/// record `SCAN` returns twice is counted once.
///
/// `ARGV[2]` mode:
/// - `step token all-pattern record-pattern count`: starts a rebuild (with `token`) unless one is
///   under way; in the clear phase deletes the index keys among the next `SCAN` batch and replies
///   `{"clear", deleted}`; in the fill phase replies `{"fill", token, cursor, next cursor, record
///   key suffix…}` (the records to index next) without writing; `{"current"}` when done.
/// - `fill token cursor next n (kindid, expected seq, o, f)… ncmd (name, suffix, args)…`: checks
///   that the state is still `fill:<token>:<cursor>` (else `{"moved"}`), that every record's `s`
///   is the expected one and that none carries the token yet (else `{"stale"}`), then sets the
///   records' `b` (and `o`/`f` for a live identity, removing them otherwise), runs the index
///   commands (`SADD`, `ZADD`, `COUNT` as in the write script) and moves the cursor (or, after the
///   last batch, writes the layout version).
pub(crate) static REINDEX: LazyLock<Script> = LazyLock::new(|| {
    Script::new(&source(
        r#"
local p = ARGV[1]
local mode = ARGV[2]
local key = p .. LAYOUT_KEY
local state = redis.call('GET', key)
local function fail() return redis.error_reply('PERSONA_LAYOUT ' .. (state or 'none')) end
local STEP = 4000

if mode == 'step' then
  if state == LAYOUT then return {'current'} end
  local phase, token, cursor = nil, nil, nil
  if not state then
    if redis.call('EXISTS', KEYS[1]) == 0 then
      redis.call('SET', key, LAYOUT)
      return {'current'}
    end
  else
    phase, token, cursor = string.match(state, '^(%a+):(%x+):(%d+)$')
    if not phase then
      -- an older layout is rebuilt; a newer one, or anything else, is not this build's to touch
      if not string.match(state, '^%d+$') or tonumber(state) > tonumber(LAYOUT) then return fail() end
    end
  end
  if not phase then
    phase, token, cursor = 'clear', ARGV[3], '0'
    redis.call('SET', key, 'clear:' .. token .. ':0')
  end
  if phase == 'clear' then
    local r = redis.call('SCAN', cursor, 'MATCH', ARGV[4], 'COUNT', ARGV[6])
    local n = 0
    for _, k in ipairs(r[2]) do
      local suffix = string.sub(k, #p + 1)
      for _, prefix in ipairs(INDEX_PREFIXES) do
        if string.sub(suffix, 1, #prefix) == prefix then
          redis.call('UNLINK', k)
          n = n + 1
          break
        end
      end
    end
    if r[1] == '0' then
      redis.call('SET', key, 'fill:' .. token .. ':0')
    else
      redis.call('SET', key, 'clear:' .. token .. ':' .. r[1])
    end
    return {'clear', tostring(n)}
  elseif phase == 'fill' then
    local r = redis.call('SCAN', cursor, 'MATCH', ARGV[5], 'COUNT', ARGV[6])
    local out = {'fill', token, cursor, r[1]}
    for _, k in ipairs(r[2]) do out[#out + 1] = string.sub(k, #p + 1) end
    return out
  end
  return fail()
end

if mode ~= 'fill' then return redis.error_reply('persona: unexpected reindex mode') end
local token, cursor, nextc = ARGV[3], ARGV[4], ARGV[5]
if state ~= 'fill:' .. token .. ':' .. cursor then return {'moved'} end
local nrec = tonumber(ARGV[6])
local R = 7
local j = R + 4 * nrec
local cmds, cmds_err = read_commands(p, j, {SADD=1, ZADD=1, COUNT=1}, 'reindex')
if not cmds then return cmds_err end
for r = 0, nrec - 1 do
  local at = R + 4 * r
  local cur = redis.call('HMGET', p .. 'r:' .. ARGV[at], 's', 'b')
  if (cur[1] or '') ~= ARGV[at + 1] or cur[2] == token then return {'stale'} end
end
for r = 0, nrec - 1 do
  local at = R + 4 * r
  local rk = p .. 'r:' .. ARGV[at]
  if ARGV[at + 2] ~= '' then
    redis.call('HSET', rk, 'b', token, 'o', ARGV[at + 2], 'f', ARGV[at + 3])
  else
    redis.call('HSET', rk, 'b', token)
    redis.call('HDEL', rk, 'o', 'f')
  end
end
for k = 1, #cmds do
  local cmd, ckey, args = cmds[k][1], cmds[k][2], cmds[k][3]
  if cmd == 'COUNT' then
    for s = 1, #args, 2 do redis.call('HINCRBY', ckey, args[s], args[s + 1]) end
  else
    for s = 1, #args, STEP do
      redis.call(cmd, ckey, unpack(args, s, math.min(s + STEP - 1, #args)))
    end
  end
end
if nextc == '0' then
  redis.call('SET', key, LAYOUT)
else
  redis.call('SET', key, 'fill:' .. token .. ':' .. nextc)
end
return {'ok'}
"#,
    ))
});

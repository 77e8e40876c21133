--[[
  One page of an agent's history in commit order: each event holds only that agent's operations.

  KEYS[1] ordered index      <prefix>:{<ns>}:index (replay entries: agentId SOH <padded commitTs>)
  KEYS[2] log stream         <prefix>:{<ns>}:log
  KEYS[3] records            <prefix>:{<ns>}:state (the compaction horizon, field HORIZON_MARK)

  ARGV[1] lexicographic lower bound ('[agent SOH <padded startTs>')
  ARGV[2] lexicographic upper bound ('[agent SOH <padded endTs>')
  ARGV[3] page size
  ARGV[4] agent NUL (the prefix of the agent's record fields in the log)
  ARGV[5] startTs (a number: the page's first commitTs wanted)

  Returns { 0, { { commitTs, txId, { key1, op1, key2, op2, ... }, time }, ... } }, op =
          "<version>:[<json>]" (an empty json is a delete), time the commit's (ms, Redis clock;
          false if logged before commits had one). A commit whose log entry was removed has txId
          false.
          { -8, compactedTs }  startTs is below the compaction horizon (VERSION_COMPACTED): the
                               history from there is gone; nothing is returned rather than a gap
]]
--- @include "marks"

local horizon = tonumber(redis.call('HGET', KEYS[3], HORIZON_MARK)) or 0
if tonumber(ARGV[5]) < horizon then
  return { -8, horizon }
end
local prefix = ARGV[4]
local members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local stamps = {}
for i, member in ipairs(members) do
  stamps[i] = tonumber(string.sub(member, -16))
end

local byTs = {}
local function read(first, last)
  for _, entry in ipairs(redis.call('XRANGE', KEYS[2], first .. '-0', last .. '-0')) do
    local id, fields = entry[1], entry[2]
    local ops = {}
    for i = 3, #fields, 2 do
      if string.sub(fields[i], 1, #prefix) == prefix then
        ops[#ops + 1] = string.sub(fields[i], #prefix + 1)
        ops[#ops + 1] = fields[i + 1]
      end
    end
    -- The commit's time ends the entry (field 't', see applyOperations); false when logged before.
    local time = fields[#fields - 1] == 't' and fields[#fields] or false
    byTs[tonumber(string.sub(id, 1, -3))] = { fields[2], ops, time }
  end
end

-- One XRANGE per run of consecutive commits (an agent that commits alone reads its page at once).
local runStart = 1
for i = 1, #stamps do
  if i == #stamps or stamps[i + 1] ~= stamps[i] + 1 then
    read(stamps[runStart], stamps[i])
    runStart = i + 1
  end
end

local out = {}
for i, commitTs in ipairs(stamps) do
  local event = byTs[commitTs]
  out[i] = event and { commitTs, event[1], event[2], event[3] } or { commitTs, false, {}, false }
end
return { 0, out }

--[[
  Commits a transaction atomically: checks everything first, then applies every staged write and
  tombstone, records versions and history, appends the event to the namespace's log and the
  agents' replay index, and advances the namespace's commit counter.

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>
  KEYS[2] staged operations  <prefix>:{<ns>}:ops:<id>
  KEYS[3] commit counter     <prefix>:{<ns>}:clock
  KEYS[4] log stream         <prefix>:{<ns>}:log
  KEYS[5] latest state       <prefix>:{<ns>}:state
  KEYS[6] live records       <prefix>:{<ns>}:live
  KEYS[7] version index      <prefix>:{<ns>}:versions
  KEYS[8] replay index       <prefix>:{<ns>}:agents

  ARGV[1] commit token: a retry of the same commit() carries the same token
  ARGV[2] persisted snapshot of 'committed'
  ARGV[3] persisted snapshot of 'timedOut' (applied when the deadline has passed)
  ARGV[4] retentionMs of finished transactions
  ARGV[5] public transaction id, recorded in the log

  Returns { 0, commitTs }     committed now
          { 1, commitTs }     this same commit (same token) had already committed: its commitTs
          { -1 }              no such transaction (NOT_FOUND)
          { -2, state }       not open: 'committed' (by another commit), 'aborted', 'timedOut'
          { -3 }              the deadline has passed; now timed out (TIMEOUT)
]]
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "finishTransaction"

local txKey, opsKey, clockKey, logKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local stateKey, liveKey, versionsKey, agentsKey = KEYS[5], KEYS[6], KEYS[7], KEYS[8]

-- Checks. Nothing below writes until every check has passed.
local tx = redis.call('HMGET', txKey, 'state', 'deadline', 'commitToken', 'commitTs')
if not tx[1] then
  return { -1 }
end
if tx[1] == 'committed' and tx[3] == ARGV[1] then
  return { 1, tonumber(tx[4]) }
end
if tx[1] ~= 'open' then
  return { -2, tx[1] }
end
local now = nowMs()
if now >= tonumber(tx[2]) then
  finishTransaction(txKey, opsKey, 'timedOut', ARGV[3], now, tonumber(ARGV[4]))
  return { -3 }
end

local raw = redis.call('HGETALL', opsKey)
local ops = {}
for i = 1, #raw, 2 do
  local entry = raw[i + 1]
  local colon = string.find(entry, ':', 1, true)
  ops[#ops + 1] = {
    field = raw[i],
    seq = tonumber(string.sub(entry, 1, colon - 1)),
    write = string.sub(entry, colon + 1, colon + 1) == 'w',
    json = string.sub(entry, colon + 3),
  }
end
table.sort(ops, function(a, b) return a.seq < b.seq end)

local commitTs = (tonumber(redis.call('GET', clockKey)) or 0) + 1
local logEntry = { 'tx', ARGV[5] }
for _, op in ipairs(ops) do
  local current = redis.call('HGET', stateKey, op.field)
  local version = 1
  if current then
    version = tonumber(string.sub(current, 1, string.find(current, ' ', 1, true) - 1)) + 1
  end
  op.version = version
  logEntry[#logEntry + 1] = op.field
  logEntry[#logEntry + 1] = op.write and (version .. ':' .. op.json) or (version .. ':')
end

-- Writes. The log append comes first: it is the only write that can be refused (an id not above
-- the stream's last one), and a refusal here leaves everything untouched.
redis.call('XADD', logKey, commitTs .. '-0', unpack(logEntry))
redis.call('SET', clockKey, commitTs)
local paddedTs = string.format('%016d', commitTs)
local indexedAgents = {}
for _, op in ipairs(ops) do
  if op.write then
    redis.call('HSET', stateKey, op.field, op.version .. ' ' .. commitTs .. ' ' .. op.json)
    redis.call('ZADD', liveKey, 0, op.field)
  else
    redis.call('HSET', stateKey, op.field, op.version .. ' ' .. commitTs)
    redis.call('ZREM', liveKey, op.field)
  end
  redis.call('HSET', versionsKey, op.field .. '\0' .. op.version, commitTs)
  local agent = string.sub(op.field, 1, string.find(op.field, '\0', 1, true) - 1)
  if not indexedAgents[agent] then
    indexedAgents[agent] = true
    redis.call('ZADD', agentsKey, 0, agent .. '\0' .. paddedTs)
  end
end
finishTransaction(txKey, opsKey, 'committed', ARGV[2], now, tonumber(ARGV[4]))
redis.call('HSET', txKey, 'commitTs', commitTs, 'commitToken', ARGV[1])
return { 0, commitTs }

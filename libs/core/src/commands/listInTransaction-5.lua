--[[
  One page of an agent's live records inside an open transaction, with what the transaction
  itself staged for that agent, and the conditions that make the listing safe: the agent's
  membership count (a record created or deleted by another transaction before this one commits
  is a conflict: no phantoms) and, when values are read, each listed record's version.

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>
  KEYS[2] ordered index      <prefix>:{<ns>}:index
  KEYS[3] records            <prefix>:{<ns>}:state
  KEYS[4] deadline index     <prefix>:{<ns>}:deadlines
  KEYS[5] staged-bytes ledger <prefix>:{<ns>}:staged

  ARGV[1] agentId
  ARGV[2] lexicographic lower bound (as for scanPrefix)
  ARGV[3] lexicographic upper bound
  ARGV[4] page size
  ARGV[5] '1' to return values (and remember each record's version), '0' for keys only
  ARGV[6] persisted snapshot of 'timedOut' (applied when the deadline has passed)
  ARGV[7] retentionMs: how long a finished transaction stays readable

  Returns { 0, { field1, stored1, ... }, { stagedField1, entry1, ... } }
            stored = "<version> <commitTs> <json>" ('' when values are not asked for);
            staged fields are the transaction's own operations on the agent's records
          { -1 } / { -2, state } / { -3 }   as for readInTransaction
]]
--- @include "marks"
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "releaseStaged"
--- @include "finishTransaction"
--- @include "stagedFieldsOf"
--- @include "transitions"
--- @include "refuseUnlessOpen"

local txKey, indexKey, stateKey, deadlinesKey, ledgerKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local agent = ARGV[1]
local tx = redis.call('HMGET', txKey, 'state', 'deadline')
local refused = refuseUnlessOpen(tx, 'READ', txKey, deadlinesKey, ledgerKey, ARGV[6], tonumber(ARGV[7]))
if refused then
  return refused
end

local withValues = ARGV[5] == '1'
local committed = {}
for _, field in ipairs(redis.call('ZRANGEBYLEX', indexKey, ARGV[2], ARGV[3], 'LIMIT', 0, tonumber(ARGV[4]))) do
  committed[#committed + 1] = field
  if withValues then
    local stored = redis.call('HGET', stateKey, field)
    committed[#committed + 1] = stored
    redis.call('HSETNX', txKey, CONDITION_MARK .. field, string.sub(stored, 1, string.find(stored, ' ', 1, true) - 1))
  else
    committed[#committed + 1] = ''
  end
end
redis.call('HSETNX', txKey, MEMBERSHIP_CONDITION_MARK .. agent, redis.call('HGET', stateKey, agent .. MEMBERSHIP_MARK) or '0')

local staged = {}
local prefix = agent .. SEPARATOR
local raw = redis.call('HGETALL', txKey)
for i = 1, #raw, 2 do
  if string.sub(raw[i], 1, #prefix) == prefix then
    staged[#staged + 1] = raw[i]
    staged[#staged + 1] = raw[i + 1]
  end
end
return { 0, committed, staged }

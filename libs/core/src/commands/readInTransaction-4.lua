--[[
  Reads a record inside an open transaction: its own staged operation if it has one
  (read-your-writes), else the committed record, whose version is then remembered as a condition
  of the commit (the first read of a record is the one that counts).

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>
  KEYS[2] records            <prefix>:{<ns>}:state
  KEYS[3] deadline index     <prefix>:{<ns>}:deadlines
  KEYS[4] staged-bytes ledger <prefix>:{<ns>}:staged

  ARGV[1] record field (agentId NUL key)
  ARGV[2] persisted snapshot of 'timedOut' (applied when the deadline has passed)
  ARGV[3] retentionMs: how long a finished transaction stays readable

  Returns { 0, 'staged', entry }       entry = "<seq>:<w|d>:<json>"; plus the committed record
                                       (or false) as a fourth element
          { 0, 'committed', stored }   stored = "<version> <commitTs> [<json>]", or false
          { -1 }                       no such transaction (NOT_FOUND)
          { -2, state }                not open (NOT_OPEN)
          { -3 }                       the deadline has passed; now timed out (TIMEOUT)
]]
--- @include "marks"
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "releaseStaged"
--- @include "finishTransaction"
--- @include "stagedFieldsOf"
--- @include "transitions"
--- @include "refuseUnlessOpen"

local txKey, stateKey, deadlinesKey, ledgerKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local tx = redis.call('HMGET', txKey, 'state', 'deadline', ARGV[1])
local refused = refuseUnlessOpen(tx, 'READ', txKey, deadlinesKey, ledgerKey, ARGV[2], tonumber(ARGV[3]))
if refused then
  return refused
end
local stored = redis.call('HGET', stateKey, ARGV[1])
if tx[3] then
  return { 0, 'staged', tx[3], stored }
end
local version = stored and string.sub(stored, 1, string.find(stored, ' ', 1, true) - 1) or '0'
redis.call('HSETNX', txKey, CONDITION_MARK .. ARGV[1], version)
return { 0, 'committed', stored }

--[[
  Aborts a transaction: the machine's ABORT (see transitions). Aborting an aborted or timed-out
  transaction is a no-op (a transition to the same state).

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>
  KEYS[2] deadline index     <prefix>:{<ns>}:deadlines
  KEYS[3] staged-bytes ledger <prefix>:{<ns>}:staged

  ARGV[1] persisted snapshot of 'aborted'
  ARGV[2] persisted snapshot of 'timedOut'
  ARGV[3] retentionMs: how long a finished transaction stays readable

  Returns { 0 }               aborted now
          { 1, state }        already 'aborted' or 'timedOut' (or timed out just now): no-op
          { -1 }              no such transaction (NOT_FOUND)
          { -2, 'committed' } committed: cannot abort (NOT_OPEN)
]]
--- @include "marks"
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "releaseStaged"
--- @include "finishTransaction"
--- @include "stagedFieldsOf"
--- @include "transitions"

local txKey, deadlinesKey, ledgerKey = KEYS[1], KEYS[2], KEYS[3]
local tx = redis.call('HMGET', txKey, 'state', 'deadline')
if not tx[1] then
  return { -1 }
end
local aborted = nextState(tx[1], 'ABORT')
if not aborted then
  return { -2, tx[1] }
end
if aborted == tx[1] then
  return { 1, tx[1] } -- the machine's no-op: aborting an aborted or timed-out transaction
end
local now = nowMs()
local retentionMs = tonumber(ARGV[3])
local timedOut = nextState(tx[1], 'TIMEOUT')
if timedOut and now >= tonumber(tx[2]) then
  finishTransaction(txKey, deadlinesKey, ledgerKey, stagedFieldsOf(txKey), timedOut, ARGV[2], now, retentionMs, {})
  return { 1, timedOut }
end
finishTransaction(txKey, deadlinesKey, ledgerKey, stagedFieldsOf(txKey), aborted, ARGV[1], now, retentionMs, {})
return { 0 }

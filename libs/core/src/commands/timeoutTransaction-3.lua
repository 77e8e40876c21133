--[[
  The timeout sweep's step for one transaction: times it out if it is open and its deadline has
  passed (the machine's TIMEOUT, see transitions). Idempotent.

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>
  KEYS[2] deadline index     <prefix>:{<ns>}:deadlines
  KEYS[3] staged-bytes ledger <prefix>:{<ns>}:staged

  ARGV[1] persisted snapshot of 'timedOut'
  ARGV[2] retentionMs: how long a finished transaction stays readable

  Returns { 0, lateMs }       timed out now; lateMs = now - deadline
          { 1, state }        already final: nothing to do
          { 2, remainingMs }  still open and its deadline is ahead
          { -1 }              no such transaction (NOT_FOUND)
  In every case but the third, the transaction leaves the deadline index and the ledger (a
  transaction whose hash expired before any sweep reached it gives its staged bytes back here).
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
local timedOut = nextState(tx[1], 'TIMEOUT')
if not timedOut then
  redis.call('ZREM', deadlinesKey, string.match(txKey, ':([^:]+)$'))
  releaseStaged(ledgerKey, { string.match(txKey, ':([^:]+)$') })
  if not tx[1] then
    return { -1 }
  end
  return { 1, tx[1] }
end
local now = nowMs()
local deadline = tonumber(tx[2])
if now < deadline then
  return { 2, deadline - now }
end
finishTransaction(txKey, deadlinesKey, ledgerKey, stagedFieldsOf(txKey), timedOut, ARGV[1], now, tonumber(ARGV[2]), {})
return { 0, now - deadline }

--[[
  The timeout worker's step: times out an open transaction whose deadline has passed. Idempotent.

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>
  KEYS[2] staged operations  <prefix>:{<ns>}:ops:<id>

  ARGV[1] persisted snapshot of 'timedOut'
  ARGV[2] retentionMs of finished transactions

  Returns { 0, lateMs }       timed out now; lateMs = now - deadline
          { 1, state }        already final ('committed', 'aborted' or 'timedOut'): nothing to do
          { 2, remainingMs }  still open and the deadline is ahead (the job fired early)
          { -1 }              no such transaction (NOT_FOUND)
]]
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "finishTransaction"

local txKey, opsKey = KEYS[1], KEYS[2]
local tx = redis.call('HMGET', txKey, 'state', 'deadline')
if not tx[1] then
  return { -1 }
end
if tx[1] ~= 'open' then
  return { 1, tx[1] }
end
local now = nowMs()
local deadline = tonumber(tx[2])
if now < deadline then
  return { 2, deadline - now }
end
finishTransaction(txKey, opsKey, 'timedOut', ARGV[1], now, tonumber(ARGV[2]))
return { 0, now - deadline }

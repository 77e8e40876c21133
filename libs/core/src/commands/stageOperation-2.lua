--[[
  Stages one write or delete in an open transaction. The last operation on a record wins.

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>
  KEYS[2] staged operations  <prefix>:{<ns>}:ops:<id>

  ARGV[1] record field (agentId NUL key)
  ARGV[2] 'w' (write) or 'd' (delete)
  ARGV[3] value JSON ('' for a delete)
  ARGV[4] maxOperationsPerTransaction
  ARGV[5] maxTransactionBytes
  ARGV[6] persisted snapshot of 'timedOut' (applied when the deadline has passed)
  ARGV[7] retentionMs of finished transactions

  Returns { 0 }                 staged
          { -1 }                no such transaction (NOT_FOUND)
          { -2, state }         the transaction is not open (NOT_OPEN)
          { -3 }                the deadline has passed; now timed out (TIMEOUT)
          { -4, max }           too many operations (TOO_MANY_OPERATIONS)
          { -5, max }           too many bytes staged (TOO_MANY_BYTES)
]]
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "finishTransaction"

local txKey, opsKey = KEYS[1], KEYS[2]
local tx = redis.call('HMGET', txKey, 'state', 'deadline', 'seq', 'ops', 'bytes')
if not tx[1] then
  return { -1 }
end
if tx[1] ~= 'open' then
  return { -2, tx[1] }
end
local now = nowMs()
if now >= tonumber(tx[2]) then
  finishTransaction(txKey, opsKey, 'timedOut', ARGV[6], now, tonumber(ARGV[7]))
  return { -3 }
end

local seq = tonumber(tx[3]) + 1
local entry = seq .. ':' .. ARGV[2] .. ':' .. ARGV[3]
local previous = redis.call('HGET', opsKey, ARGV[1])
local count = tonumber(tx[4])
local bytes = tonumber(tx[5]) + #entry
if previous then
  bytes = bytes - #previous
else
  count = count + 1
end
if count > tonumber(ARGV[4]) then
  return { -4, tonumber(ARGV[4]) }
end
if bytes > tonumber(ARGV[5]) then
  return { -5, tonumber(ARGV[5]) }
end

redis.call('HSET', opsKey, ARGV[1], entry)
redis.call('HSET', txKey, 'seq', seq, 'ops', count, 'bytes', bytes)
redis.call('PEXPIRE', opsKey, redis.call('PTTL', txKey))
return { 0 }

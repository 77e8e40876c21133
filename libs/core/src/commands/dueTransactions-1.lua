--[[
  The timeout sweep's read: transactions of a namespace whose deadline has passed. Writes nothing.
  A sweep never runs before its due time (Redis clock), so a transaction begun while a sweep runs
  always falls into a later sweep.

  KEYS[1] deadline index     <prefix>:{<ns>}:deadlines

  ARGV[1] due time of the sweep (ms, Redis clock)
  ARGV[2] most ids to return

  Returns { 2, remainingMs }          too early: come back in remainingMs
          { 0, id_1, ..., id_n }      ids of transactions past their deadline (n <= ARGV[2])
]]
--- @include "replicateCommands"
--- @include "nowMs"

local now = nowMs()
local due = tonumber(ARGV[1])
if now < due then
  return { 2, due - now }
end
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local out = { 0 }
for i = 1, #ids do
  out[i + 1] = ids[i]
end
return out

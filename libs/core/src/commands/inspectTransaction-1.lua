--[[
  Reads a transaction's state as of now (an open transaction past its deadline reads 'timedOut'
  even before the worker has fired). Writes nothing.

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>

  Returns { 0, state, deadlineMs, createdAtMs, finishedAtMs or '', commitTs or '', nowMs }
          { -1 }              no such transaction (NOT_FOUND)
]]
--- @include "replicateCommands"
--- @include "nowMs"

local tx = redis.call('HMGET', KEYS[1], 'state', 'deadline', 'createdAt', 'finishedAt', 'commitTs')
if not tx[1] then
  return { -1 }
end
local now = nowMs()
local state = tx[1]
if state == 'open' and now >= tonumber(tx[2]) then
  state = 'timedOut'
end
return { 0, state, tx[2], tx[3], tx[4] or '', tx[5] or '', now }

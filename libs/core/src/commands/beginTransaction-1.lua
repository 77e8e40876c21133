--[[
  Creates an open transaction.

  KEYS[1] transaction hash   <prefix>:{<ns>}:tx:<id>

  ARGV[1] persisted machine snapshot of the 'open' state (JSON)
  ARGV[2] timeoutMs
  ARGV[3] retentionMs: how long the record is kept after its deadline if nobody finishes it

  Returns { 0, deadlineMs }
          { -6 }            the id is already taken (ScriptCode.ID_TAKEN)
]]
--- @include "replicateCommands"
--- @include "nowMs"

local txKey = KEYS[1]
if redis.call('EXISTS', txKey) == 1 then
  return { -6 }
end
local timeoutMs = tonumber(ARGV[2])
local now = nowMs()
local deadline = now + timeoutMs
redis.call('HSET', txKey, 'state', 'open', 'snapshot', ARGV[1], 'deadline', deadline,
  'createdAt', now, 'seq', 0, 'ops', 0, 'bytes', 0)
redis.call('PEXPIRE', txKey, timeoutMs + tonumber(ARGV[3]))
return { 0, deadline }

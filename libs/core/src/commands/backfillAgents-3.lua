--[[
  The one-time backfill of the agent list (AGENT_MARK agentId in the ordered index) of a
  namespace written before the list existed: walks its agents in order, a bounded number per
  call, from where the previous call stopped (kept in the records hash), and marks the list
  complete at the end. Each step jumps over one agent's entries (one ZRANGEBYLEX, O(log n)), so
  a call costs O(budget log n) whatever the number of records. Commits meanwhile add their own
  agents' entries; a call that runs twice adds nothing twice (ZADD). Nothing to do: returns 1.

  KEYS[1] ordered index      <prefix>:{<ns>}:index
  KEYS[2] records            <prefix>:{<ns>}:state (field AGENT_MARK: 'indexed', or 'after <agentId>')
  KEYS[3] commit counter     <prefix>:{<ns>}:clock

  ARGV[1] the lower bound of the first agent's entries: '(AGENT_MARK' followed by the byte 0xFF
          (every agent's entries sort after the agent list: an agentId starts with a byte >= 0x20)
  ARGV[2] most agents to walk in this call

  Returns 1 when the list is complete, 0 when more calls are needed
]]
--- @include "marks"

local indexKey, stateKey = KEYS[1], KEYS[2]
local marker = redis.call('HGET', stateKey, AGENT_MARK)
if marker == 'indexed' or (tonumber(redis.call('GET', KEYS[3])) or 0) == 0 then
  return 1
end
local min = ARGV[1]
if marker then
  min = '[' .. string.sub(marker, #'after ' + 1) .. AGENT_MARK
end
-- An agent's entries are agentId followed by NUL, SOH or ENQ; an agentId holds none of them.
local function agentOf(member)
  local agentEnd = #member + 1
  for _, mark in ipairs({ SEPARATOR, REPLAY_SEPARATOR, EVER_SEPARATOR }) do
    local at = string.find(member, mark, 1, true)
    if at and at < agentEnd then
      agentEnd = at
    end
  end
  return string.sub(member, 1, agentEnd - 1)
end
local last = nil
for _ = 1, tonumber(ARGV[2]) do
  local member = redis.call('ZRANGEBYLEX', indexKey, min, '+', 'LIMIT', 0, 1)[1]
  if not member then
    redis.call('HSET', stateKey, AGENT_MARK, 'indexed')
    return 1
  end
  last = agentOf(member)
  redis.call('ZADD', indexKey, 0, AGENT_MARK .. last)
  -- Past every entry of this agent: they all sort below agentId AGENT_MARK.
  min = '[' .. last .. AGENT_MARK
end
redis.call('HSET', stateKey, AGENT_MARK, 'after ' .. last)
return 0

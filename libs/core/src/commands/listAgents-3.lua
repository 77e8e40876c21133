--[[
  One page of a namespace's agents in byte-wise order of their agentId, each with its live key
  count and the commitTs of the last commit that touched it, and the namespace's agent count and
  last commitTs: read atomically (a consistent snapshot). Costs O(log n) per agent of the page:
  no walk over records.

  KEYS[1] ordered index      <prefix>:{<ns>}:index (AGENT_MARK agentId: the agent list; agentId
                             NUL key: live records; agentId SOH <16-digit commitTs>: its commits)
  KEYS[2] records            <prefix>:{<ns>}:state (field AGENT_MARK: whether the list is complete)
  KEYS[3] commit counter     <prefix>:{<ns>}:clock

  ARGV[1] lexicographic lower bound of the page ('[AGENT_MARK prefix' or '(AGENT_MARK last agent')
  ARGV[2] lexicographic upper bound ('(AGENT_MARK prefix' followed by the byte 0xFF)
  ARGV[3] page size (0: no page, only the counts)
  ARGV[4] upper bound of the whole list ('(AGENT_MARK' followed by the byte 0xFF)

  Returns { 0, { agentId1, keyCount1, lastCommitTs1, ... }, agentCount, lastCommitTs }
          { -14 }  the namespace was written before the agent list existed and its one-time
                   backfill has not finished (AGENTS_NOT_INDEXED: run backfillAgents, then again)
]]
--- @include "marks"

local indexKey, stateKey = KEYS[1], KEYS[2]
local clock = tonumber(redis.call('GET', KEYS[3])) or 0
if clock > 0 and redis.call('HGET', stateKey, AGENT_MARK) ~= 'indexed' then
  return { -14 }
end
local out = {}
local limit = tonumber(ARGV[3])
if limit > 0 then
  local members = redis.call('ZRANGEBYLEX', indexKey, ARGV[1], ARGV[2], 'LIMIT', 0, limit)
  for i, member in ipairs(members) do
    local agent = string.sub(member, #AGENT_MARK + 1)
    local replay = agent .. REPLAY_SEPARATOR
    local keyCount = redis.call('ZLEXCOUNT', indexKey, '[' .. agent .. SEPARATOR, '(' .. replay)
    local last = redis.call('ZREVRANGEBYLEX', indexKey, '[' .. replay .. '9999999999999999', '[' .. replay,
      'LIMIT', 0, 1)[1]
    out[3 * i - 2] = agent
    out[3 * i - 1] = keyCount
    out[3 * i] = last and tonumber(string.sub(last, #replay + 1)) or 0
  end
end
local agentCount = redis.call('ZLEXCOUNT', indexKey, '[' .. AGENT_MARK, ARGV[4])
return { 0, out, agentCount, clock }

--[[
  One page of live records in byte-wise key order, read atomically (a consistent snapshot).

  KEYS[1] ordered index      <prefix>:{<ns>}:index (live records: agentId NUL key)
  KEYS[2] records            <prefix>:{<ns>}:state

  ARGV[1] lexicographic lower bound ('[agent NUL prefix' or '(last record of the previous page')
  ARGV[2] lexicographic upper bound ('(agent NUL prefix' followed by the byte 0xFF)
  ARGV[3] page size
  ARGV[4] optional, for a buffered transaction's listing: the agent's membership field
          (agentId STX), whose count is then returned too, read in the same snapshot
  ARGV[5] optional: '0' for keys only (each state is then '')

  Returns { field1, state1, field2, state2, ... }, state = "<version> <commitTs> <json>",
          followed by the membership count (0 when never counted) when ARGV[4] is given
]]
local fields = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local withValues = ARGV[5] ~= '0'
local out = {}
for _, field in ipairs(fields) do
  out[#out + 1] = field
  out[#out + 1] = withValues and redis.call('HGET', KEYS[2], field) or ''
end
if ARGV[4] then
  out[#out + 1] = redis.call('HGET', KEYS[2], ARGV[4]) or '0'
end
return out

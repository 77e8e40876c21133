--[[
  One page of an agent's history in commit order: each event holds only that agent's operations.

  KEYS[1] replay index       <prefix>:{<ns>}:agents
  KEYS[2] log stream         <prefix>:{<ns>}:log

  ARGV[1] lexicographic lower bound ('[agent NUL <padded startTs>')
  ARGV[2] lexicographic upper bound ('[agent NUL <padded endTs>')
  ARGV[3] page size
  ARGV[4] agent NUL (the prefix of the agent's record fields)

  Returns { { commitTs, txId, { key1, op1, key2, op2, ... } }, ... }, op = "<version>:[<json>]"
          (an empty json is a delete). A commit whose log entry was removed has txId false.
]]
local prefix = ARGV[4]
local members = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local out = {}
for _, member in ipairs(members) do
  local commitTs = tonumber(string.sub(member, #prefix + 1))
  local found = redis.call('XRANGE', KEYS[2], commitTs .. '-0', commitTs .. '-0')
  local event = { commitTs, false, {} }
  if found[1] then
    local fields = found[1][2]
    event[2] = fields[2]
    local ops = event[3]
    for i = 3, #fields, 2 do
      if string.sub(fields[i], 1, #prefix) == prefix then
        ops[#ops + 1] = string.sub(fields[i], #prefix + 1)
        ops[#ops + 1] = fields[i + 1]
      end
    end
  end
  out[#out + 1] = event
end
return out

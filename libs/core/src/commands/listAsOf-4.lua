--[[
  One page of an agent's records as they were at a commitTs (read-only transactions' listings):
  walks every record the agent ever had, in key order, and keeps those that existed then.

  KEYS[1] records            <prefix>:{<ns>}:state
  KEYS[2] ordered index      <prefix>:{<ns>}:index (agentId ENQ key: every record that ever existed)
  KEYS[3] log stream         <prefix>:{<ns>}:log
  KEYS[4] commit counter     <prefix>:{<ns>}:clock

  ARGV[1] agentId
  ARGV[2] lexicographic lower bound ('[agent ENQ prefix' or '(agent ENQ last key examined')
  ARGV[3] lexicographic upper bound ('(agent ENQ prefix' followed by the byte 0xFF)
  ARGV[4] atTs
  ARGV[5] page size
  ARGV[6] '1' to return values
  ARGV[7] most records to examine in this call (bounds the work spent on records deleted by then)

  Returns { 0, { key1, version1, commitTs1, json1, ... }, lastExamined or false, done (1/0) }
          { -8, key or false, compactedTs }  atTs is below the compaction horizon (key false), or a
                                     version index or log entry needed was removed (COMPACTED)
          { -10, lastCommitTs }      atTs is after the namespace's last commit (FUTURE)
]]
--- @include "marks"
--- @include "versionAsOf"
--- @include "loggedValue"

local stateKey, indexKey, logKey = KEYS[1], KEYS[2], KEYS[3]
local agent, atTs, limit = ARGV[1], tonumber(ARGV[4]), tonumber(ARGV[5])
local withValues, budget = ARGV[6] == '1', tonumber(ARGV[7])
local clock = tonumber(redis.call('GET', KEYS[4])) or 0
if atTs > clock then
  return { -10, clock }
end
local horizon = tonumber(redis.call('HGET', stateKey, HORIZON_MARK)) or 0
if atTs < horizon then
  return { -8, false, horizon }
end
local members = redis.call('ZRANGEBYLEX', indexKey, ARGV[2], ARGV[3], 'LIMIT', 0, budget)
local out, found, last = {}, 0, false
for _, member in ipairs(members) do
  local key = string.sub(member, #agent + #EVER_SEPARATOR + 1)
  local record = agent .. SEPARATOR .. key
  local version, commitTs, deleted, json = versionAsOf(stateKey, record, atTs)
  if version < 0 then
    return { -8, key, horizon }
  end
  last = key
  if version > 0 and not deleted then
    if withValues then
      json = json or loggedValue(logKey, commitTs, record)
      if not json then
        return { -8, key, horizon }
      end
    end
    out[#out + 1] = key
    out[#out + 1] = version
    out[#out + 1] = commitTs
    out[#out + 1] = withValues and json or ''
    found = found + 1
    if found == limit then
      return { 0, out, last, 0 }
    end
  end
end
return { 0, out, last, #members < budget and 1 or 0 }

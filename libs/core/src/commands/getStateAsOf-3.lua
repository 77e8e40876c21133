--[[
  Reads a record as of a commitTs: the last version committed at or before it.

  KEYS[1] records            <prefix>:{<ns>}:state (holds the version index too)
  KEYS[2] log stream         <prefix>:{<ns>}:log
  KEYS[3] commit counter     <prefix>:{<ns>}:clock

  ARGV[1] record field (agentId NUL key)
  ARGV[2] atTs

  Returns { 0, version, commitTs, json }   json '' for a tombstone; version 0: no version yet
          { -8 }                           that version's history was removed (VERSION_COMPACTED)
          { -10, lastCommitTs }            atTs is after the namespace's last commit (FUTURE)
]]
local record, atTs = ARGV[1], tonumber(ARGV[2])
local clock = tonumber(redis.call('GET', KEYS[3])) or 0
if atTs > clock then
  return { -10, clock }
end
local current = redis.call('HGET', KEYS[1], record)
if not current then
  return { 0, 0, 0, '' }
end
local first = string.find(current, ' ', 1, true)
local second = string.find(current, ' ', first + 1, true)
local latest = tonumber(string.sub(current, 1, first - 1))
local latestTs = tonumber(string.sub(current, first + 1, (second or 0) - 1))
if latestTs <= atTs then
  return { 0, latest, latestTs, second and string.sub(current, second + 1) or '' }
end

-- Binary search of the version index for the last version committed at or before atTs.
local lo, hi, found, foundTs = 1, latest - 1, 0, 0
while lo <= hi do
  local mid = math.floor((lo + hi) / 2)
  local ts = tonumber(redis.call('HGET', KEYS[1], record .. '\0' .. mid))
  if not ts then
    return { -8 }
  end
  if ts <= atTs then
    found, foundTs, lo = mid, ts, mid + 1
  else
    hi = mid - 1
  end
end
if found == 0 then
  return { 0, 0, 0, '' }
end
local entry = redis.call('XRANGE', KEYS[2], foundTs .. '-0', foundTs .. '-0')[1]
if entry then
  local fields = entry[2]
  for i = 3, #fields, 2 do
    if fields[i] == record then
      local op = fields[i + 1]
      return { 0, found, foundTs, string.sub(op, string.find(op, ':', 1, true) + 1) }
    end
  end
end
return { -8 }

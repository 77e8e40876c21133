--[[
  Reads one exact version of a record from the history.

  KEYS[1] records            <prefix>:{<ns>}:state (holds the version index too)
  KEYS[2] log stream         <prefix>:{<ns>}:log

  ARGV[1] version field (agent NUL key NUL version), whose value is the commitTs (negative for a
          delete)
  ARGV[2] record field (agent NUL key)

  Returns { 0, commitTs, op }  op = "<version>:[<json>]" (an empty json is a tombstone)
          { -7 }               the record never had that version (VERSION_NOT_FOUND)
          { -8 }               it had, but its history was removed (VERSION_COMPACTED)
]]
local commitTs = redis.call('HGET', KEYS[1], ARGV[1])
if not commitTs then
  return { -7 }
end
commitTs = math.abs(tonumber(commitTs)) -- negative for a delete
local found = redis.call('XRANGE', KEYS[2], commitTs .. '-0', commitTs .. '-0')
if found[1] then
  local fields = found[1][2]
  for i = 3, #fields, 2 do
    if fields[i] == ARGV[2] then
      return { 0, commitTs, fields[i + 1] }
    end
  end
end
return { -8 }

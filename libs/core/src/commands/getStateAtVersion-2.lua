--[[
  Reads one exact version of a record from the history.

  KEYS[1] records            <prefix>:{<ns>}:state (holds the version index and the horizon too)
  KEYS[2] log stream         <prefix>:{<ns>}:log

  ARGV[1] version field (agent NUL key NUL version), whose value is the commitTs (negative for a
          delete)
  ARGV[2] record field (agent NUL key)
  ARGV[3] version (the latest is read from the record itself: a record restored from a dump
          without history has no version index)

  Returns { 0, commitTs, op }  op = "<version>:[<json>]" (an empty json is a tombstone)
          { -7 }               the record never had that version (VERSION_NOT_FOUND)
          { -8, compactedTs }  it had, but compaction removed it (VERSION_COMPACTED)
]]
--- @include "marks"

local function compacted()
  return { -8, tonumber(redis.call('HGET', KEYS[1], HORIZON_MARK)) or 0 }
end

local current = redis.call('HGET', KEYS[1], ARGV[2])
local space = current and string.find(current, ' ', 1, true)
local latest = current and tonumber(string.sub(current, 1, space - 1))
local version = tonumber(ARGV[3])
if not latest or version > latest then
  return { -7 }
end
if version == latest then
  -- The record holds its latest version: "<version> <commitTs> [<json>]" (no json: a tombstone).
  local second = string.find(current, ' ', space + 1, true)
  local commitTs = tonumber(string.sub(current, space + 1, (second or 0) - 1))
  return { 0, commitTs, ARGV[3] .. ':' .. (second and string.sub(current, second + 1) or '') }
end
local commitTs = redis.call('HGET', KEYS[1], ARGV[1])
if not commitTs then
  return compacted() -- versions 1 to latest all existed: this one was removed
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
return compacted()

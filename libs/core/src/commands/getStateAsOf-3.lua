--[[
  Reads a record as of a commitTs: the last version committed at or before it.

  KEYS[1] records            <prefix>:{<ns>}:state (holds the version index too)
  KEYS[2] log stream         <prefix>:{<ns>}:log
  KEYS[3] commit counter     <prefix>:{<ns>}:clock

  ARGV[1] record field (agentId NUL key)
  ARGV[2] atTs

  Returns { 0, version, commitTs, json }   json '' for a tombstone; version 0: no version yet
          { -8, compactedTs }              atTs is below the compaction horizon, or a version
                                           needed was removed (VERSION_COMPACTED)
          { -10, lastCommitTs }            atTs is after the namespace's last commit (FUTURE)
]]
--- @include "marks"
--- @include "versionAsOf"
--- @include "loggedValue"

local record, atTs = ARGV[1], tonumber(ARGV[2])
local clock = tonumber(redis.call('GET', KEYS[3])) or 0
if atTs > clock then
  return { -10, clock }
end
local horizon = tonumber(redis.call('HGET', KEYS[1], HORIZON_MARK)) or 0
if atTs < horizon then
  return { -8, horizon }
end
local version, commitTs, deleted, json = versionAsOf(KEYS[1], record, atTs)
if version < 0 then
  return { -8, horizon }
end
if version == 0 or deleted then
  return { 0, version, commitTs, '' }
end
json = json or loggedValue(KEYS[2], commitTs, record)
if not json then
  return { -8, horizon }
end
return { 0, version, commitTs, json }

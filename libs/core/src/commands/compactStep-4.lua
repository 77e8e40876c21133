--[[
  One bounded step of a compaction pass (see startCompaction): walks at most `budget` log entries
  after `cursor`, up to `passEnd`, and removes the history the namespace's policy lets go. Every
  decision is taken on the state as it is in this call (a script is atomic), so commits, reads
  and other passes may run between two steps.

  An operation (record, version v) of an entry is removable when:
    - the record is deleted, its tombstone committed at or before `ttlCutoffTs` and before
      `passEnd` (deletedRecordTtlMs): the whole record goes, tombstone included; or
    - v is not the record's latest version, and v <= latest - maxVersions (maxVersionsPerKey), or
      version v + 1 was committed at or before `ageCutoffTs` (maxAgeMs).
  The latest version of a live record is never removed. Removal is always a prefix of a record's
  versions (both rules are monotonic in v), so a record's remaining versions are contiguous.
  A removable operation loses its version index entry; an entry whose operations are all removable
  (or an empty commit's entry below the horizon) is deleted from the log, with the agents' replay
  index entries of that commit.

  The horizon (compactedTs) only grows: it becomes at least the commitTs of the version that
  followed each removed one (for a purged record, its tombstone's commitTs + 1). Reads as of a
  commitTs at or after it find every version they need, and every log entry from it on is kept.

  KEYS[1] records            <prefix>:{<ns>}:state (the horizon is its field HORIZON_MARK)
  KEYS[2] log stream         <prefix>:{<ns>}:log
  KEYS[3] ordered index      <prefix>:{<ns>}:index
  KEYS[4] retention          <prefix>:{<ns>}:retention (running totals)

  ARGV[1] cursor: the last log id walked ('0-0' at the start of a pass)
  ARGV[2] passEnd: the last commitTs this pass walks to
  ARGV[3] maxVersions (0: no such rule)
  ARGV[4] ageCutoffTs (0: no age rule)
  ARGV[5] ttlCutoffTs (0: tombstones are kept)
  ARGV[6] budget: most log entries walked in this call

  Returns { cursor, done (1/0), versionsRemoved, entriesRemoved, recordsRemoved, compactedTs }
]]
--- @include "marks"
--- @include "callInChunks"

local stateKey, logKey, indexKey, retentionKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local passEnd, maxVersions = tonumber(ARGV[2]), tonumber(ARGV[3])
local ageCutoff, ttlCutoff, budget = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local horizon = tonumber(redis.call('HGET', stateKey, HORIZON_MARK)) or 0
local newHorizon = horizon

local entries = redis.call('XRANGE', logKey, '(' .. ARGV[1], passEnd .. '-0', 'COUNT', budget)

-- The records as this call knows them: field -> { latest, latestTs, tombstone } or false.
local records = {}
local function recordOf(field)
  local known = records[field]
  if known == nil then
    known = false
    local stored = redis.call('HGET', stateKey, field)
    if stored then
      local first = string.find(stored, ' ', 1, true)
      local second = string.find(stored, ' ', first + 1, true)
      known = {
        latest = tonumber(string.sub(stored, 1, first - 1)),
        latestTs = tonumber(string.sub(stored, first + 1, (second or 0) - 1)),
        tombstone = second == nil,
      }
    end
    records[field] = known
  end
  return known
end

-- The commitTs of version v of a record (nil when its index entry is gone).
local function versionTs(field, record, v)
  if v == record.latest then
    return record.latestTs
  end
  local ts = redis.call('HGET', stateKey, field .. SEPARATOR .. string.format('%d', v))
  return ts and math.abs(tonumber(ts)) or nil
end

local hdel, xdel, zrem = {}, {}, {}
local versionsRemoved, recordsRemoved = 0, 0
for _, entry in ipairs(entries) do
  local id, fields = entry[1], entry[2]
  local ts = tonumber(string.sub(id, 1, -3))
  local ops, removable = 0, 0
  local agents = {}
  for i = 3, #fields, 2 do
    local field = fields[i]
    local agentEnd = string.find(field, SEPARATOR, 1, true)
    if agentEnd then -- not the entry's time
      ops = ops + 1
      agents[string.sub(field, 1, agentEnd - 1)] = true
      local op = fields[i + 1]
      local v = tonumber(string.sub(op, 1, string.find(op, ':', 1, true) - 1))
      local record = recordOf(field)
      local remove, successorTs = false, nil
      if not record then
        remove = true -- the record was purged already: what is left of it goes
      elseif record.tombstone and ttlCutoff > 0 and record.latestTs <= ttlCutoff
        and record.latestTs < passEnd then
        remove, successorTs = true, record.latestTs + 1
        if v == record.latest then
          -- The tombstone's own entry: every earlier version came before it in this pass.
          records[field] = false
          hdel[#hdel + 1] = field
          zrem[#zrem + 1] = string.sub(field, 1, agentEnd - 1) .. EVER_SEPARATOR
            .. string.sub(field, agentEnd + 1)
          recordsRemoved = recordsRemoved + 1
        end
      elseif v < record.latest then
        if maxVersions > 0 and v <= record.latest - maxVersions then
          remove = true
        end
        if remove or ageCutoff > 0 then
          successorTs = versionTs(field, record, v + 1) or record.latestTs
          if not remove and successorTs <= ageCutoff then
            remove = true
          end
        end
      end
      if remove then
        removable = removable + 1
        hdel[#hdel + 1] = field .. SEPARATOR .. string.format('%d', v)
        versionsRemoved = versionsRemoved + 1
        if successorTs and successorTs > newHorizon then
          newHorizon = successorTs
        end
      end
    end
  end
  if (ops > 0 and removable == ops) or (ops == 0 and ts < horizon) then
    xdel[#xdel + 1] = id
    local replayTs = REPLAY_SEPARATOR .. string.format('%016d', ts)
    for agent in pairs(agents) do
      zrem[#zrem + 1] = agent .. replayTs
    end
  end
end

if #hdel > 0 then
  callInChunks('HDEL', stateKey, hdel, 1)
end
if #zrem > 0 then
  callInChunks('ZREM', indexKey, zrem, 1)
end
if #xdel > 0 then
  callInChunks('XDEL', logKey, xdel, 1)
end
if newHorizon > horizon then
  redis.call('HSET', stateKey, HORIZON_MARK, string.format('%d', newHorizon))
end
if versionsRemoved > 0 or #xdel > 0 then
  redis.call('HINCRBY', retentionKey, 'versionsRemoved', versionsRemoved)
  redis.call('HINCRBY', retentionKey, 'entriesRemoved', #xdel)
  redis.call('HINCRBY', retentionKey, 'recordsRemoved', recordsRemoved)
end

local cursor = ARGV[1]
if #entries > 0 then
  cursor = entries[#entries][1]
end
local done = #entries < budget and 1 or 0
return { cursor, done, versionsRemoved, #xdel, recordsRemoved, newHorizon }

--[[
  Starts a compaction pass of a namespace: where it ends, and which commits are old enough for the
  age rules. A pass then walks the log with compactStep calls, from its oldest entry to `passEnd`.

  KEYS[1] records            <prefix>:{<ns>}:state (holds the horizon, field HORIZON_MARK)
  KEYS[2] log stream         <prefix>:{<ns>}:log (each entry's field 't': its commit's time, ms)
  KEYS[3] commit counter     <prefix>:{<ns>}:clock

  ARGV[1] maxAgeMs, or '' for none
  ARGV[2] deletedRecordTtlMs, or '' for none

  Returns { passEnd, ageCutoffTs, ttlCutoffTs, compactedTs }: passEnd the namespace's last
          commitTs now; a cutoff is the last commitTs committed at or before now minus the age
          (0: none, or no rule). Entries written before commits carried their time count as old.
]]
--- @include "marks"
--- @include "nowMs"

local logKey = KEYS[2]
local now = nowMs()
local clock = tonumber(redis.call('GET', KEYS[3])) or 0
local horizon = tonumber(redis.call('HGET', KEYS[1], HORIZON_MARK)) or 0

-- The time of the first entry at or after commitTs `ts`: its commitTs and time (nil: none left).
local function firstFrom(ts)
  local entry = redis.call('XRANGE', logKey, ts .. '-0', '+', 'COUNT', 1)[1]
  if not entry then
    return nil, nil
  end
  local fields = entry[2]
  local time = 0
  for i = #fields - 1, 3, -2 do
    if fields[i] == 't' then
      time = tonumber(fields[i + 1])
      break
    end
  end
  return tonumber(string.sub(entry[1], 1, -3)), time
end

-- The last commitTs whose time is at or before `limit`: a binary search over the log, whose
-- times grow with commitTs (one Redis clock). O(log n) XRANGE calls.
local function lastCommittedBy(limit)
  local lo, hi, found = 1, clock, 0
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    local ts, time = firstFrom(mid)
    if not ts or ts > hi then
      hi = mid - 1
    elseif time <= limit then
      found, lo = ts, ts + 1
    else
      hi = mid - 1
    end
  end
  return found
end

local ageCutoff, ttlCutoff = 0, 0
if ARGV[1] ~= '' then
  ageCutoff = lastCommittedBy(now - tonumber(ARGV[1]))
end
if ARGV[2] ~= '' then
  ttlCutoff = lastCommittedBy(now - tonumber(ARGV[2]))
end
return { clock, ageCutoff, ttlCutoff, horizon }

-- The version of a record visible at commitTs `atTs`: the last one committed at or before it.
-- Returns version (0: none yet; -1: that version was removed by compaction), its commitTs, whether it is a
-- delete, and its value json when the latest version is the one (nil otherwise: read the log).
local function versionAsOf(stateKey, record, atTs)
  local current = redis.call('HGET', stateKey, record)
  if not current then
    return 0, 0, false, nil
  end
  local first = string.find(current, ' ', 1, true)
  local second = string.find(current, ' ', first + 1, true)
  local latest = tonumber(string.sub(current, 1, first - 1))
  local latestTs = tonumber(string.sub(current, first + 1, (second or 0) - 1))
  if latestTs <= atTs then
    return latest, latestTs, second == nil, second and string.sub(current, second + 1) or nil
  end
  -- Binary search of the version index (commitTs per version, negative for a delete). Compaction
  -- removes a record's oldest versions, each superseded at or before the horizon: a missing entry
  -- lies below the answer when atTs is at or after the horizon (the callers check it).
  local lo, hi, found, foundTs, missing = 1, latest - 1, 0, 0, 0
  while lo <= hi do
    local mid = math.floor((lo + hi) / 2)
    local ts = tonumber(redis.call('HGET', stateKey, record .. SEPARATOR .. mid))
    if not ts then
      missing, lo = mid, mid + 1
    elseif math.abs(ts) <= atTs then
      found, foundTs, lo = mid, ts, mid + 1
    else
      hi = mid - 1
    end
  end
  if found < missing then
    return -1, 0, false, nil -- the version asked for was removed
  end
  return found, math.abs(foundTs), foundTs < 0, nil
end

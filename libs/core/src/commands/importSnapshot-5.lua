--[[
  One step of a snapshot import into an empty namespace (operations/snapshot-import.ts), each
  step atomic. The namespace's import record names the snapshot being imported, so a step of
  another import, or of one into a namespace written meanwhile, is refused, and an import run
  again after a crash resumes: a commit at or below the clock, or a record already stored as the
  snapshot has it, is skipped (nothing applies twice).

  KEYS[1] commit counter     <prefix>:{<ns>}:clock
  KEYS[2] log stream         <prefix>:{<ns>}:log
  KEYS[3] records            <prefix>:{<ns>}:state
  KEYS[4] ordered index      <prefix>:{<ns>}:index
  KEYS[5] import record      <prefix>:{<ns>}:import  (snapshot id, status running|done, line,
                             clock: the commit counter as the import left it)

  ARGV[1] step: 'begin', 'commits', 'records' or 'finish'
  ARGV[2] the snapshot's id (a hash of its header line)
  ARGV[3] the snapshot line the step reaches (kept: a resumed import skips the lines before it)
  then, for 'begin': nothing
        for 'commits', per commit: commitTs, txId, its time (ms; '' when the snapshot has none:
                       then now), number of operations n, the n operations' versions, then n
                       operations of 3 arguments: kind ('w' write, 'd' delete), field (agentId NUL
                       key), value JSON ('' for a delete). Each record takes the version given:
                       one whose first versions the source's compaction removed starts where the
                       source's history does, and the versions before read as compacted.
        for 'records', per record: field (agentId NUL key), version, commitTs, value JSON
        for 'finish':  atTs, then the summary's records, versions, commits, then the source's
                       compaction horizon ('' or 0: none)

  Returns 'begin':   { 0, '' } started / { 1, line } resuming (the line reached) /
                     { 2, line } this snapshot was imported already / { -15, why } not empty
          'commits', 'records', 'finish': { 0, applied } / { -15, why }: the import record is not
                     this snapshot's, or someone committed to the namespace during the import
          'commits': { -16, commitTs, field, version, previous }: an operation's version is not
                     above the record's previous one (the commits before it in the step are in)
          'finish':  { 0 }
]]
--- @include "marks"
--- @include "nowMs"
--- @include "callInChunks"
--- @include "applyOperations"
--- @include "flushWrites"

local clockKey, logKey, stateKey, indexKey, importKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local step, snapshot, line = ARGV[1], ARGV[2], ARGV[3]
local current = redis.call('HGET', importKey, 'snapshot')

-- Only the import moves the clock while it runs (it keeps the clock it left): a commit by anyone
-- else meanwhile would take commitTs the snapshot's commits need, or write over its records.
local function writtenMeanwhile()
  local clock = tonumber(redis.call('GET', clockKey)) or 0
  return clock ~= (tonumber(redis.call('HGET', importKey, 'clock')) or 0)
end

if step == 'begin' then
  if current == snapshot then
    local status = redis.call('HGET', importKey, 'status')
    if status ~= 'done' and writtenMeanwhile() then
      return { -15, 'was committed to while the import was interrupted' }
    end
    return { status == 'done' and 2 or 1, redis.call('HGET', importKey, 'line') or '0' }
  end
  if current then
    return { -15, 'holds the import of another snapshot' }
  end
  local clock = tonumber(redis.call('GET', clockKey)) or 0
  if clock > 0 or redis.call('XLEN', logKey) > 0 then
    return { -15, 'has commits (its last commitTs is ' .. string.format('%d', clock) .. ')' }
  end
  if redis.call('EXISTS', stateKey) == 1 then
    return { -15, 'has records' }
  end
  redis.call('HSET', importKey, 'snapshot', snapshot, 'status', 'running', 'line', '0')
  -- Every agent gets its list entry from the import's steps: the list is complete.
  redis.call('HSET', stateKey, AGENT_MARK, 'indexed')
  return { 0, '' }
end

if current ~= snapshot then
  return { -15, 'is being imported into from another snapshot' }
end
if writtenMeanwhile() then
  return { -15, 'was committed to during the import' }
end

if step == 'finish' then
  local clock = tonumber(redis.call('GET', clockKey)) or 0
  local atTs = tonumber(ARGV[4])
  if atTs > clock then
    redis.call('SET', clockKey, ARGV[4])
  end
  redis.call('HSET', importKey, 'status', 'done', 'line', line, 'clock', string.format('%d', math.max(atTs, clock)),
    'records', ARGV[5], 'versions', ARGV[6], 'commits', ARGV[7])
  -- The source's horizon: below it the history is not here either, and reads say so.
  local horizon = tonumber(ARGV[8]) or 0
  if horizon > (tonumber(redis.call('HGET', stateKey, HORIZON_MARK)) or 0) then
    redis.call('HSET', stateKey, HORIZON_MARK, ARGV[8])
  end
  return { 0 }
end

local applied = 0
local now = string.format('%d', nowMs())
local pending = { state = {}, index = {}, records = {}, time = now }

-- Keys that look allocated by an append (prefix + 12 digits) raise the append counter of their
-- agent and prefix, so that a later append never reuses one.
local counters = {}
local function noteKey(field)
  local agentEnd = string.find(field, SEPARATOR, 1, true)
  local key = string.sub(field, agentEnd + 1)
  local digits = string.match(key, '(%d%d%d%d%d%d%d%d%d%d%d%d)$')
  if digits then
    local counter = string.sub(field, 1, agentEnd - 1) .. APPEND_COUNTER_SEPARATOR .. string.sub(key, 1, -13)
    local n = tonumber(digits)
    if n > (counters[counter] or 0) then
      counters[counter] = n
    end
  end
end

-- Makes each record of a commit hold the version before the one the snapshot gives it
-- (applyOperations adds one): a record new here whose first versions were compacted away in the
-- source reads as deleted at version given - 1 (not live), one present keeps its value and state.
-- A version not above the record's previous one is refused (raised as a table, caught below).
local function presetVersions(ts, versionsAt, first, last)
  local records, inCommit, k = pending.records, {}, versionsAt
  for j = first, last, 3 do
    local field, given = ARGV[j + 1], tonumber(ARGV[k])
    k = k + 1
    if inCommit[field] then
      -- Again in the same commit: applyOperations counts on from its previous operation.
      if given ~= inCommit[field] + 1 then
        error({ ts, field, given, inCommit[field] })
      end
    else
      local record = records[field]
      if record == nil then
        record = redis.call('HGET', stateKey, field) or false
      end
      local version, rest = 0, ' 0'
      if record then
        local space = string.find(record, ' ', 1, true)
        version, rest = tonumber(string.sub(record, 1, space - 1)), string.sub(record, space)
      end
      if given <= version then
        error({ ts, field, given, version })
      end
      records[field] = given == version + 1 and record or (string.format('%d', given - 1) .. rest)
    end
    inCommit[field] = given
  end
end

if step == 'commits' then
  local clock = tonumber(redis.call('GET', clockKey)) or 0
  local a = 4
  local ok, err = pcall(function()
    while a <= #ARGV do
      local ts, txId, time, n = ARGV[a], ARGV[a + 1], ARGV[a + 2], tonumber(ARGV[a + 3])
      local first, last = a + 4 + n, a + 3 + 4 * n
      if tonumber(ts) > clock then
        presetVersions(ts, a + 4, first, last)
        -- The commit keeps its time (retention's maxAgeMs measures by it).
        pending.time = time ~= '' and time or now
        applyOperations(logKey, stateKey, indexKey, pending, ARGV, first, last, ts, txId)
        clock = tonumber(ts)
        applied = applied + 1
        for j = first, last, 3 do
          if ARGV[j] == 'w' then
            noteKey(ARGV[j + 1])
          end
        end
      end
      a = last + 1
    end
  end)
  flushWrites(stateKey, indexKey, pending)
  if applied > 0 then
    redis.call('SET', clockKey, string.format('%d', clock))
    redis.call('HSET', importKey, 'clock', string.format('%d', clock))
  end
  if not ok then
    if type(err) == 'table' then
      return { -16, err[1], err[2], err[3], err[4] }
    end
    error(err)
  end
else
  local fields = {}
  for a = 4, #ARGV, 4 do
    fields[#fields + 1] = ARGV[a]
  end
  local stored = callInChunks('HMGET', stateKey, fields, 1)
  local state, index = pending.state, pending.index
  for i, field in ipairs(fields) do
    local a = 4 * i
    local version, ts, json = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3]
    local record = version .. ' ' .. ts .. ' ' .. json
    if stored[i] ~= record then
      local agentEnd = string.find(field, SEPARATOR, 1, true)
      local agent, key = string.sub(field, 1, agentEnd - 1), string.sub(field, agentEnd + 1)
      state[#state + 1], state[#state + 2] = field, record
      state[#state + 1], state[#state + 2] = field .. SEPARATOR .. version, ts
      index[#index + 1], index[#index + 2] = '0', field
      index[#index + 1], index[#index + 2] = '0', agent .. EVER_SEPARATOR .. key
      index[#index + 1], index[#index + 2] = '0', agent .. REPLAY_SEPARATOR .. string.rep('0', 16 - #ts) .. ts
      index[#index + 1], index[#index + 2] = '0', AGENT_MARK .. agent
      if not stored[i] then
        redis.call('HINCRBY', stateKey, agent .. MEMBERSHIP_MARK, 1)
      end
      noteKey(field)
      applied = applied + 1
    end
  end
  flushWrites(stateKey, indexKey, pending)
end
for counter, n in pairs(counters) do
  local known = tonumber(redis.call('HGET', stateKey, counter)) or 0
  if n > known then
    redis.call('HSET', stateKey, counter, string.format('%d', n))
  end
end
redis.call('HSET', importKey, 'line', line)
return { 0, applied }

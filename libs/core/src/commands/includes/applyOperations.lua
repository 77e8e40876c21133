-- Applies a transaction's operations at commitTs `ts` (a string), once every check has passed: allocates the
-- keys of its appends, appends its event to the log, and leaves its records, versions and index
-- entries in `pending`, the batch's deferred writes (flushWrites writes them, once per batch).
-- Keeps the membership counts and the append counters. Returns the allocated keys,
-- "<append id> TAB <key>" joined by LF ('' when none).
--
-- ops[first .. last]: three values per operation, in staging order: kind ('w' write, 'd' delete,
-- 'a' append), field (agentId NUL key; for an append agentId NUL prefix NUL append id), value JSON
-- ('' for a delete). commitBuffered passes its ARGV as it came.
--
-- pending = { state = HSET arguments, index = ZADD arguments, records = field -> stored record }:
-- `records` is the records hash as this batch knows it (false: no such record): what it read
-- (here, or ahead of time by commitBuffered) and what it wrote and has not flushed. Only the
-- fields it does not hold are read from Redis (checkConditions reads it too). Only the index entries of records that come into
-- existence are added (a live record's `agentId NUL key` is there already), and a delete removes
-- its entry at once (after flushing the batch's earlier additions: ZREM and ZADD keep their order).
--
-- The log append comes first of the writes: it is the only one that can be refused (an id not
-- above the stream's last one), and a refusal there leaves this transaction untouched; the caller
-- then still flushes the batch's earlier commits.
--
-- Every number that goes into a string or a command is made a string once, by string.format('%d'):
-- Lua turns a number into a string (a concatenation, a command's argument) with a floating-point
-- printf, measured (callgrind) at an eighth of the whole commit's instructions.
local function applyOperations(logKey, stateKey, indexKey, pending, ops, first, last, ts, txId)
  -- Fields, and the keys of the appends (counters read here, written after the log append).
  local fields, appended, counters = {}, {}, nil
  local n = 0
  for j = first, last, 3 do
    n = n + 1
    local field = ops[j + 1]
    if ops[j] == 'a' then
      local agentEnd = string.find(field, SEPARATOR, 1, true)
      local prefixEnd = string.find(field, SEPARATOR, agentEnd + 1, true)
      local agent = string.sub(field, 1, agentEnd - 1)
      local prefix = string.sub(field, agentEnd + 1, prefixEnd - 1)
      local counter = agent .. APPEND_COUNTER_SEPARATOR .. prefix
      counters = counters or {}
      counters[counter] = (counters[counter] or tonumber(redis.call('HGET', stateKey, counter)) or 0) + 1
      local key = prefix .. string.format('%012d', counters[counter])
      appended[#appended + 1] = string.sub(field, prefixEnd + 1) .. APPENDED_KEY_SEPARATOR .. key
      field = agent .. SEPARATOR .. key
    end
    fields[n] = field
  end
  if n == 0 then
    redis.call('XADD', logKey, ts .. '-0', 'tx', txId)
    return ''
  end
  local records, missing = pending.records, nil
  for i = 1, n do
    if records[fields[i]] == nil then
      missing = missing or {}
      missing[#missing + 1] = fields[i]
    end
  end
  if missing then
    local current = redis.call('HMGET', stateKey, unpack(missing))
    for i, field in ipairs(missing) do
      records[field] = current[i] or false
    end
  end
  local deleteTs = '-' .. ts
  local replayTs = REPLAY_SEPARATOR .. string.rep('0', 16 - #ts) .. ts
  local logEntry = { 'tx', txId }
  local state, index, deleted, agents, membership = {}, {}, nil, {}, nil
  for i = 1, n do
    local field = fields[i]
    local j = first + 3 * i - 3
    local write = ops[j] ~= 'd'
    local record = records[field]
    local version, existed = '1', false
    if record then
      local space = string.find(record, ' ', 1, true)
      version = string.format('%d', string.sub(record, 1, space - 1) + 1)
      existed = string.find(record, ' ', space + 1, true) ~= nil
    end
    if write then
      logEntry[2 * i + 1], logEntry[2 * i + 2] = field, version .. ':' .. ops[j + 2]
      record = version .. ' ' .. ts .. ' ' .. ops[j + 2]
    else
      logEntry[2 * i + 1], logEntry[2 * i + 2] = field, version .. ':'
      record = version .. ' ' .. ts
    end
    records[field] = record
    -- The version index lives in the same hash: "agentId NUL key NUL version" -> commitTs,
    -- negative for a delete (so point-in-time reads and listings know it without the log).
    local s = #state
    state[s + 1], state[s + 2], state[s + 3] = field, record, field .. SEPARATOR .. version
    state[s + 4] = write and ts or deleteTs
    local agentEnd = string.find(field, SEPARATOR, 1, true)
    local agent = string.sub(field, 1, agentEnd - 1)
    if existed ~= write then
      membership = membership or {}
      membership[agent] = (membership[agent] or 0) + 1
      local x = #index
      if write then
        -- A live record, and every record that ever existed (listings as of a commitTs): agentId ENQ key.
        index[x + 1], index[x + 2], index[x + 3] = '0', field, '0'
        index[x + 4] = agent .. EVER_SEPARATOR .. string.sub(field, agentEnd + 1)
      else
        deleted = deleted or {}
        deleted[#deleted + 1] = field
      end
    end
    if not agents[agent] then
      agents[agent] = true
      local x = #index
      index[x + 1], index[x + 2] = '0', agent .. replayTs
    end
  end
  redis.call('XADD', logKey, ts .. '-0', unpack(logEntry))
  if deleted then
    local additions = pending.index
    if #additions > 0 then
      callInChunks('ZADD', indexKey, additions, 2)
      pending.index = {}
    end
    redis.call('ZREM', indexKey, unpack(deleted))
  end
  local pendingState, pendingIndex = pending.state, pending.index
  local p = #pendingState
  for i = 1, #state do
    pendingState[p + i] = state[i]
  end
  p = #pendingIndex
  for i = 1, #index do
    pendingIndex[p + i] = index[i]
  end
  if membership then
    for agent, changes in pairs(membership) do
      redis.call('HINCRBY', stateKey, agent .. MEMBERSHIP_MARK, string.format('%d', changes))
    end
  end
  if counters then
    for counter, value in pairs(counters) do
      redis.call('HSET', stateKey, counter, string.format('%d', value))
    end
  end
  return table.concat(appended, APPENDED_LINE_SEPARATOR)
end

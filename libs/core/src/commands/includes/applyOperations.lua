-- Applies a transaction's operations at commitTs `ts` (a string), once every check has passed: allocates the
-- keys of its appends, appends its event to the log, and leaves its records, versions and index
-- entries in `pending`, the batch's deferred writes (flushWrites writes them, once per batch).
-- Keeps the membership counts and the append counters, and the agent list (AGENT_MARK agentId). Returns the allocated keys,
-- "<append id> TAB <key>" joined by LF ('' when none).
--
-- ops[first .. last]: three values per operation, in staging order: kind ('w' write, 'd' delete,
-- 'a' append), field (agentId NUL key; for an append agentId NUL prefix NUL append id), value JSON
-- ('' for a delete). commitBuffered passes its ARGV as it came.
--
-- pending = { state = HSET arguments, index = ZADD arguments, records = field -> stored record,
-- time = the batch's Redis time in ms, a string }:
-- `records` is the records hash as this batch knows it (false: no such record): what it read
-- (here, or ahead of time by commitBuffered) and what it wrote and has not flushed. Only the
-- fields it does not hold are read from Redis (checkConditions reads it too). Only the index entries of records that come into
-- existence are added (a live record's `agentId NUL key` is there already), and a delete removes
-- its entry at once (after flushing the batch's earlier additions: ZREM and ZADD keep their order).
--
-- The log append comes first of the writes: it is the only one that can be refused (an id not
-- above the stream's last one), and a refusal there leaves this transaction untouched (its entries
-- are taken back out of `pending`); the caller then still flushes the batch's earlier commits.
-- Entries go straight into `pending`, and tables are made only where needed (appends, a second
-- agent): per transaction, tables and their copies were a fifth of the script's instructions.
--
-- Every number that goes into a string or a command is made a string once, by string.format('%d'):
-- Lua turns a number into a string (a concatenation, a command's argument) with a floating-point
-- printf, measured (callgrind) at an eighth of the whole commit's instructions.
local COMMIT_TIME_FIELD = 't'

local function applyOperations(logKey, stateKey, indexKey, pending, ops, first, last, ts, txId)
  if last < first then
    redis.call('XADD', logKey, ts .. '-0', 'tx', txId, COMMIT_TIME_FIELD, pending.time)
    return ''
  end
  -- Keys of the appends (counters read here, written after the log append): `fields` holds every
  -- operation's field only when there are appends; otherwise the field is ops[j + 1].
  local fields, appended, counters = nil, nil, nil
  for j = first, last, 3 do
    if ops[j] == 'a' then
      if not fields then
        fields, appended, counters = {}, {}, {}
        for k = first, j - 1, 3 do
          fields[k] = ops[k + 1]
        end
      end
      local field = ops[j + 1]
      local agentEnd = string.find(field, SEPARATOR, 1, true)
      local prefixEnd = string.find(field, SEPARATOR, agentEnd + 1, true)
      local agent = string.sub(field, 1, agentEnd - 1)
      local prefix = string.sub(field, agentEnd + 1, prefixEnd - 1)
      local counter = agent .. APPEND_COUNTER_SEPARATOR .. prefix
      counters[counter] = (counters[counter] or tonumber(redis.call('HGET', stateKey, counter)) or 0) + 1
      local key = prefix .. string.format('%012d', counters[counter])
      appended[#appended + 1] = string.sub(field, prefixEnd + 1) .. APPENDED_KEY_SEPARATOR .. key
      fields[j] = agent .. SEPARATOR .. key
    elseif fields then
      fields[j] = ops[j + 1]
    end
  end
  local records, missing = pending.records, nil
  for j = first, last, 3 do
    local field = fields and fields[j] or ops[j + 1]
    if records[field] == nil then
      missing = missing or {}
      missing[#missing + 1] = field
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
  local state, index = pending.state, pending.index
  local stateMark, indexMark = #state, #index
  local s, x, e = stateMark, indexMark, 2
  local deleted, membership, lastAgent, agents = nil, nil, nil, nil
  for j = first, last, 3 do
    local field = fields and fields[j] or ops[j + 1]
    local write = ops[j] ~= 'd'
    local record = records[field]
    local version, existed = '1', false
    if record then
      local space = string.find(record, ' ', 1, true)
      version = string.format('%d', string.sub(record, 1, space - 1) + 1)
      existed = string.find(record, ' ', space + 1, true) ~= nil
    end
    if write then
      logEntry[e + 1], logEntry[e + 2] = field, version .. ':' .. ops[j + 2]
      record = version .. ' ' .. ts .. ' ' .. ops[j + 2]
    else
      logEntry[e + 1], logEntry[e + 2] = field, version .. ':'
      record = version .. ' ' .. ts
    end
    e = e + 2
    records[field] = record
    -- The version index lives in the same hash: "agentId NUL key NUL version" -> commitTs,
    -- negative for a delete (so point-in-time reads and listings know it without the log).
    state[s + 1], state[s + 2], state[s + 3] = field, record, field .. SEPARATOR .. version
    state[s + 4] = write and ts or deleteTs
    s = s + 4
    local agentEnd = string.find(field, SEPARATOR, 1, true)
    local agent = string.sub(field, 1, agentEnd - 1)
    if existed ~= write then
      membership = membership or {}
      membership[agent] = (membership[agent] or 0) + 1
      if write then
        -- A live record, and every record that ever existed (listings as of a commitTs): agentId ENQ key.
        index[x + 1], index[x + 2], index[x + 3] = '0', field, '0'
        index[x + 4] = agent .. EVER_SEPARATOR .. string.sub(field, agentEnd + 1)
        x = x + 4
      else
        deleted = deleted or {}
        deleted[#deleted + 1] = field
      end
    end
    -- One replay entry per agent (operations of one agent usually come together).
    if agent ~= lastAgent and not (agents and agents[agent]) then
      if lastAgent then
        agents = agents or { [lastAgent] = true }
        agents[agent] = true
      end
      lastAgent = agent
      -- And the agent's entry of the agent list (listAgents): ZADD of a member already there
      -- changes nothing (measured in docs/design.md, "Listing agents and namespaces").
      index[x + 1], index[x + 2] = '0', agent .. replayTs
      index[x + 3], index[x + 4] = '0', AGENT_MARK .. agent
      x = x + 4
    end
  end
  -- The commit's time (ms, Redis clock) ends the entry: retention's maxAgeMs measures by it. Its
  -- field holds no NUL, so no reader takes it for a record.
  logEntry[e + 1], logEntry[e + 2] = COMMIT_TIME_FIELD, pending.time
  local logged = redis.pcall('XADD', logKey, ts .. '-0', unpack(logEntry))
  if type(logged) == 'table' and logged.err then
    for i = s, stateMark + 1, -1 do
      state[i] = nil
    end
    for i = x, indexMark + 1, -1 do
      index[i] = nil
    end
    error(logged)
  end
  if deleted then
    -- The batch's earlier additions first: one of them may be a record this deletes.
    if indexMark > 0 then
      local earlier = {}
      for i = 1, indexMark do
        earlier[i] = index[i]
      end
      callInChunks('ZADD', indexKey, earlier, 2)
      local mine = {}
      for i = indexMark + 1, x do
        mine[i - indexMark] = index[i]
      end
      pending.index = mine
    end
    redis.call('ZREM', indexKey, unpack(deleted))
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
    return table.concat(appended, APPENDED_LINE_SEPARATOR)
  end
  return ''
end

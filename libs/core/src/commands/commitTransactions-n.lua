--[[
  Commits a batch of transactions of one namespace (group commit: one call for many concurrent
  commit() calls). Each transaction is committed atomically on its own: first every check, then
  its writes. It applies every staged write and tombstone, records versions, appends one event to
  the namespace's log and the agents' replay index, advances the commit counter and leaves the
  deadline index.

  KEYS[1] commit counter     <prefix>:{<ns>}:clock
  KEYS[2] log stream         <prefix>:{<ns>}:log
  KEYS[3] records            <prefix>:{<ns>}:state
  KEYS[4] ordered index      <prefix>:{<ns>}:index
  KEYS[5] deadline index     <prefix>:{<ns>}:deadlines
  KEYS[5 + i]  transaction hash   <prefix>:{<ns>}:tx:<id> of the i-th transaction

  ARGV[1] persisted snapshot of 'committed'
  ARGV[2] persisted snapshot of 'timedOut' (applied when a deadline has passed)
  ARGV[3] persisted snapshot of 'aborted' (applied on a conflict)
  ARGV[4] retentionMs: how long a finished transaction stays readable
  ARGV[3 + 2i]  commit token of the i-th commit (a retry of the same commit() carries the same one)
  ARGV[4 + 2i]  public transaction id, recorded in the log

  Returns { code_1, detail_1, appended_1, ..., code_n, detail_n, appended_n }, per transaction:
          0, commitTs     committed now
          1, commitTs     this same commit (same token) had already committed: its commitTs
          (appended: the keys allocated to its appends, "<append id> TAB <key>" joined by LF)
          -1, 0           no such transaction (NOT_FOUND)
          -2, state       not open: 'committed' (by another commit), 'aborted' or 'timedOut'
          -3, 0           its deadline has passed; now timed out (TIMEOUT)
          -9, record      a record it read (or wrote with ifVersion) has changed since: nothing
                          applied, now aborted (CONFLICT); record = agentId NUL key

  Besides staged operations, a transaction hash holds conditions: field SOH agentId NUL key ->
  the version the record must still have ("<n>"; 0 = never written) or "!" (it must not exist);
  field ETX agentId -> the agent's membership count (see below) when it listed the agent's keys.
  Appends are staged as field EOT agentId NUL prefix NUL <append id>: at commit each gets the key
  prefix + the next value of the counter "agentId ETX prefix" in the records hash, zero-padded to
  12 digits so that keys sort in append order.
  A conflict on a membership condition names the record "agentId STX".

  The records hash also keeps, per agent, field agentId STX -> how many times one of its records
  came into existence or was deleted: a listing's phantom check. The ordered index also holds
  agentId ENQ key for every record that ever existed (listings as of a commitTs).
]]
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "finishTransaction"

local clockKey, logKey, stateKey, indexKey, deadlinesKey = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local committedSnapshot, timedOutSnapshot, abortedSnapshot = ARGV[1], ARGV[2], ARGV[3]
local retentionMs = tonumber(ARGV[4])
local now = nowMs()
-- The counter is written once per batch, at the end. Should a batch ever stop half-way (a Lua
-- runtime error), the log's last id still says which commitTs were taken: start after both.
local clock = tonumber(redis.call('GET', clockKey)) or 0
local last = redis.call('XREVRANGE', logKey, '+', '-', 'COUNT', 1)[1]
if last then
  clock = math.max(clock, tonumber(string.sub(last[1], 1, -3)))
end
local committedIds = {}

local function commit(txKey, token, txId)
  -- Checks. Nothing below writes until every check of this transaction has passed.
  local raw = redis.call('HGETALL', txKey)
  if #raw == 0 then
    return -1, 0
  end
  local meta, ops, staged, conditions = {}, {}, {}, {}
  for i = 1, #raw, 2 do
    local field = raw[i]
    local first = string.byte(field, 1)
    if first == 1 then
      staged[#staged + 1] = field
      conditions[#conditions + 1] = { record = string.sub(field, 2), expected = raw[i + 1] }
    elseif first == 4 then
      local entry = raw[i + 1]
      local colon = string.find(entry, ':', 1, true)
      local agentEnd = string.find(field, '\0', 2, true)
      local prefixEnd = string.find(field, '\0', agentEnd + 1, true)
      staged[#staged + 1] = field
      ops[#ops + 1] = {
        append = string.sub(field, prefixEnd + 1),
        agent = string.sub(field, 2, agentEnd - 1),
        prefix = string.sub(field, agentEnd + 1, prefixEnd - 1),
        seq = tonumber(string.sub(entry, 1, colon - 1)),
        write = true,
        json = string.sub(entry, colon + 3),
      }
    elseif first == 3 then
      staged[#staged + 1] = field
      conditions[#conditions + 1] = {
        record = string.sub(field, 2) .. '\2', expected = raw[i + 1], membership = true,
      }
    elseif string.find(field, '\0', 1, true) then
      local entry = raw[i + 1]
      local colon = string.find(entry, ':', 1, true)
      staged[#staged + 1] = field
      ops[#ops + 1] = {
        field = field,
        seq = tonumber(string.sub(entry, 1, colon - 1)),
        write = string.byte(entry, colon + 1) == 119, -- 'w'
        json = string.sub(entry, colon + 3),
      }
    else
      meta[field] = raw[i + 1]
    end
  end
  if meta.state == 'committed' and meta.commitToken == token then
    return 1, tonumber(meta.commitTs), meta.appended or ''
  end
  if meta.state ~= 'open' then
    return -2, meta.state
  end
  if now >= tonumber(meta.deadline) then
    finishTransaction(txKey, deadlinesKey, staged, 'timedOut', timedOutSnapshot, now, retentionMs, {})
    return -3, 0
  end
  for _, condition in ipairs(conditions) do
    local current = redis.call('HGET', stateKey, condition.record)
    local version, exists = 0, false
    if condition.membership then
      version = tonumber(current) or 0
    elseif current then
      local space = string.find(current, ' ', 1, true)
      version = tonumber(string.sub(current, 1, space - 1))
      exists = string.find(current, ' ', space + 1, true) ~= nil
    end
    if (condition.expected == '!' and exists) or
        (condition.expected ~= '!' and tonumber(condition.expected) ~= version) then
      finishTransaction(txKey, deadlinesKey, staged, 'aborted', abortedSnapshot, now, retentionMs, {})
      return -9, condition.record
    end
  end
  table.sort(ops, function(a, b) return a.seq < b.seq end)

  -- Keys of the appends, in staging order (read here, written with the rest below).
  local counters, appended = {}, {}
  for _, op in ipairs(ops) do
    if op.append then
      local counter = op.agent .. '\3' .. op.prefix
      counters[counter] = (counters[counter] or tonumber(redis.call('HGET', stateKey, counter)) or 0) + 1
      op.field = op.agent .. '\0' .. op.prefix .. string.format('%012d', counters[counter])
      appended[#appended + 1] = op.append .. '\t' .. string.sub(op.field, #op.agent + 2)
    end
  end

  local commitTs = clock + 1
  local logEntry = { 'tx', txId }
  local stateArgs, indexArgs, deleted, membershipArgs = {}, {}, {}, {}
  if #ops > 0 then
    local fields = {}
    for i, op in ipairs(ops) do
      fields[i] = op.field
    end
    local current = redis.call('HMGET', stateKey, unpack(fields))
    local replayTs = '\1' .. string.format('%016d', commitTs)
    local indexedAgents, membership = {}, {}
    for i, op in ipairs(ops) do
      local version, existed = 1, false
      if current[i] then
        local space = string.find(current[i], ' ', 1, true)
        version = tonumber(string.sub(current[i], 1, space - 1)) + 1
        existed = string.find(current[i], ' ', space + 1, true) ~= nil
      end
      local n = #stateArgs
      if op.write then
        logEntry[#logEntry + 1] = op.field
        logEntry[#logEntry + 1] = version .. ':' .. op.json
        stateArgs[n + 1] = op.field
        stateArgs[n + 2] = version .. ' ' .. commitTs .. ' ' .. op.json
        indexArgs[#indexArgs + 1] = 0
        indexArgs[#indexArgs + 1] = op.field
      else
        logEntry[#logEntry + 1] = op.field
        logEntry[#logEntry + 1] = version .. ':'
        stateArgs[n + 1] = op.field
        stateArgs[n + 2] = version .. ' ' .. commitTs
        deleted[#deleted + 1] = op.field
      end
      -- The version index lives in the same hash: "agentId NUL key NUL version" -> commitTs,
      -- negative for a delete (so point-in-time reads and listings know it without the log).
      stateArgs[n + 3] = op.field .. '\0' .. version
      stateArgs[n + 4] = op.write and commitTs or -commitTs
      local agent = string.sub(op.field, 1, string.find(op.field, '\0', 1, true) - 1)
      if op.write and not existed then
        -- Every record that ever existed, for listings as of a commitTs: agentId ENQ key.
        indexArgs[#indexArgs + 1] = 0
        indexArgs[#indexArgs + 1] = agent .. '\5' .. string.sub(op.field, #agent + 2)
      end
      if not indexedAgents[agent] then
        indexedAgents[agent] = true
        indexArgs[#indexArgs + 1] = 0
        indexArgs[#indexArgs + 1] = agent .. replayTs
      end
      if existed ~= op.write then
        membership[agent] = (membership[agent] or 0) + 1
      end
    end
    for agent, changes in pairs(membership) do
      membershipArgs[#membershipArgs + 1] = agent
      membershipArgs[#membershipArgs + 1] = changes
    end
  end

  -- Writes. The log append comes first: it is the only write that can be refused (an id not
  -- above the stream's last one), and a refusal here leaves everything untouched.
  redis.call('XADD', logKey, commitTs .. '-0', unpack(logEntry))
  clock = commitTs
  if #ops > 0 then
    redis.call('HSET', stateKey, unpack(stateArgs))
    redis.call('ZADD', indexKey, unpack(indexArgs))
  end
  if #deleted > 0 then
    redis.call('ZREM', indexKey, unpack(deleted))
  end
  for i = 1, #membershipArgs, 2 do
    redis.call('HINCRBY', stateKey, membershipArgs[i] .. '\2', membershipArgs[i + 1])
  end
  for counter, value in pairs(counters) do
    redis.call('HSET', stateKey, counter, value)
  end
  local appendedKeys = table.concat(appended, '\n')
  local extra = { 'commitTs', commitTs, 'commitToken', token }
  if #appended > 0 then
    extra[5], extra[6] = 'appended', appendedKeys
  end
  finishTransaction(txKey, false, staged, 'committed', committedSnapshot, now, retentionMs, extra)
  committedIds[#committedIds + 1] = string.match(txKey, ':([^:]+)$')
  return 0, commitTs, appendedKeys
end

local out = {}
for i = 1, #KEYS - 5 do
  local code, detail, appendedKeys = commit(KEYS[5 + i], ARGV[3 + 2 * i], ARGV[4 + 2 * i])
  out[3 * i - 2] = code
  out[3 * i - 1] = detail
  out[3 * i] = appendedKeys or ''
end
if #committedIds > 0 then
  redis.call('SET', clockKey, clock)
  redis.call('ZREM', deadlinesKey, unpack(committedIds))
end
return out

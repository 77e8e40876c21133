-- Applies a transaction's operations at `commitTs`, once every check has passed: allocates the
-- keys of its appends, then appends its event to the log, writes records and versions, keeps the
-- ordered index, the membership counts and the append counters. Returns the allocated keys,
-- "<append id> TAB <key>" joined by LF ('' when none).
--
-- ops: in staging order, each { field = agentId NUL key, write = bool, json = value JSON } or,
-- for an append, { append = id, agent = agentId, prefix = key prefix, write = true, json }.
--
-- The log append comes first: it is the only write that can be refused (an id not above the
-- stream's last one), and a refusal there leaves everything untouched. (Applying a whole batch's
-- writes at its end instead was measured: its bookkeeping costs more Lua time than it saves.)
local function applyOperations(logKey, stateKey, indexKey, ops, commitTs, txId)
  -- Keys of the appends, in staging order (counters read here, written with the rest below).
  local counters, appended = {}, {}
  for _, op in ipairs(ops) do
    if op.append then
      local counter = op.agent .. APPEND_COUNTER_SEPARATOR .. op.prefix
      counters[counter] = (counters[counter] or tonumber(redis.call('HGET', stateKey, counter)) or 0) + 1
      op.field = op.agent .. SEPARATOR .. op.prefix .. string.format('%012d', counters[counter])
      appended[#appended + 1] = op.append .. APPENDED_KEY_SEPARATOR .. string.sub(op.field, #op.agent + #SEPARATOR + 1)
    end
  end
  local logEntry = { 'tx', txId }
  local stateArgs, indexArgs, deleted, membershipArgs = {}, {}, {}, {}
  if #ops > 0 then
    local fields = {}
    for i, op in ipairs(ops) do
      fields[i] = op.field
    end
    local current = redis.call('HMGET', stateKey, unpack(fields))
    local replayTs = REPLAY_SEPARATOR .. string.format('%016d', commitTs)
    local indexedAgents, membership = {}, {}
    for i, op in ipairs(ops) do
      local version, existed = 1, false
      if current[i] then
        local space = string.find(current[i], ' ', 1, true)
        version = tonumber(string.sub(current[i], 1, space - 1)) + 1
        existed = string.find(current[i], ' ', space + 1, true) ~= nil
      end
      local n = #stateArgs
      logEntry[#logEntry + 1] = op.field
      stateArgs[n + 1] = op.field
      if op.write then
        logEntry[#logEntry + 1] = version .. ':' .. op.json
        stateArgs[n + 2] = version .. ' ' .. commitTs .. ' ' .. op.json
        indexArgs[#indexArgs + 1] = 0
        indexArgs[#indexArgs + 1] = op.field
      else
        logEntry[#logEntry + 1] = version .. ':'
        stateArgs[n + 2] = version .. ' ' .. commitTs
        deleted[#deleted + 1] = op.field
      end
      -- The version index lives in the same hash: "agentId NUL key NUL version" -> commitTs,
      -- negative for a delete (so point-in-time reads and listings know it without the log).
      stateArgs[n + 3] = op.field .. SEPARATOR .. version
      stateArgs[n + 4] = op.write and commitTs or -commitTs
      local agent = string.sub(op.field, 1, string.find(op.field, SEPARATOR, 1, true) - 1)
      if op.write and not existed then
        -- Every record that ever existed, for listings as of a commitTs: agentId ENQ key.
        indexArgs[#indexArgs + 1] = 0
        indexArgs[#indexArgs + 1] = agent .. EVER_SEPARATOR .. string.sub(op.field, #agent + #SEPARATOR + 1)
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
  redis.call('XADD', logKey, commitTs .. '-0', unpack(logEntry))
  if #ops > 0 then
    redis.call('HSET', stateKey, unpack(stateArgs))
    redis.call('ZADD', indexKey, unpack(indexArgs))
  end
  if #deleted > 0 then
    redis.call('ZREM', indexKey, unpack(deleted))
  end
  for i = 1, #membershipArgs, 2 do
    redis.call('HINCRBY', stateKey, membershipArgs[i] .. MEMBERSHIP_MARK, membershipArgs[i + 1])
  end
  for counter, value in pairs(counters) do
    redis.call('HSET', stateKey, counter, value)
  end
  return table.concat(appended, APPENDED_LINE_SEPARATOR)
end

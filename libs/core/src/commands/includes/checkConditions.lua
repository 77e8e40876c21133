-- Checks a transaction's commit conditions against the records hash: nil when every one holds,
-- else the record of the first that fails. A condition is { record, expected }: record is
-- "agentId NUL key" (expected: the version it must still have, "0" = never written, or "!" = it
-- must not exist) or "agentId STX" (a listing's membership count, which must be unchanged).
-- `records`: the records hash as the batch knows it, its writes not flushed yet included (see
-- applyOperations): field -> stored record, false for none; other fields are read from Redis.
local function checkConditions(stateKey, conditions, records)
  for _, condition in ipairs(conditions) do
    local current = records[condition.record]
    if current == nil then
      current = redis.call('HGET', stateKey, condition.record)
    end
    local version, exists = 0, false
    if not string.find(condition.record, SEPARATOR, 1, true) then
      version = tonumber(current) or 0 -- a membership count
    elseif current then
      local space = string.find(current, ' ', 1, true)
      version = tonumber(string.sub(current, 1, space - 1))
      exists = string.find(current, ' ', space + 1, true) ~= nil
    end
    if (condition.expected == '!' and exists) or
        (condition.expected ~= '!' and tonumber(condition.expected) ~= version) then
      return condition.record
    end
  end
  return nil
end

-- The hash fields of a transaction that hold staged operations and conditions (record fields
-- contain a NUL byte, conditions start with SOH or ETX; metadata names do neither).
local function stagedFieldsOf(txKey)
  local fields = {}
  for _, field in ipairs(redis.call('HKEYS', txKey)) do
    if string.find(field, SEPARATOR, 1, true) or string.sub(field, 1, 1) == MEMBERSHIP_CONDITION_MARK then
      fields[#fields + 1] = field
    end
  end
  return fields
end

-- The hash fields of a transaction that hold staged operations and conditions (record fields
-- contain a NUL byte, conditions start with SOH or ETX; metadata names do neither).
local function stagedFieldsOf(txKey)
  local fields = {}
  for _, field in ipairs(redis.call('HKEYS', txKey)) do
    if string.find(field, '\0', 1, true) or string.byte(field, 1) == 3 then
      fields[#fields + 1] = field
    end
  end
  return fields
end

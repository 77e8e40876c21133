-- The hash fields of a transaction that hold staged operations (record fields contain a NUL byte;
-- metadata names never do).
local function stagedFieldsOf(txKey)
  local fields = {}
  for _, field in ipairs(redis.call('HKEYS', txKey)) do
    if string.find(field, '\0', 1, true) then
      fields[#fields + 1] = field
    end
  end
  return fields
end

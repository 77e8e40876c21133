-- The json a commit's log entry holds for a record ('' for a delete), or nil when the entry is gone.
local function loggedValue(logKey, commitTs, record)
  local entry = redis.call('XRANGE', logKey, commitTs .. '-0', commitTs .. '-0')[1]
  if entry then
    local fields = entry[2]
    for i = 3, #fields, 2 do
      if fields[i] == record then
        local op = fields[i + 1]
        return string.sub(op, string.find(op, ':', 1, true) + 1)
      end
    end
  end
  return nil
end

-- The namespace's last commitTs. The counter is written once per batch, at the end. Should a batch
-- ever stop half-way (a Lua runtime error), the log's last id still says which commitTs were
-- taken: continue after both.
local function commitClock(clockKey, logKey)
  local clock = tonumber(redis.call('GET', clockKey)) or 0
  local last = redis.call('XREVRANGE', logKey, '+', '-', 'COUNT', 1)[1]
  if last then
    clock = math.max(clock, tonumber(string.sub(last[1], 1, -3)))
  end
  return clock
end

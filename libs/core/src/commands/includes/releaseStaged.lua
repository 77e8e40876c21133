-- Takes transactions' staged bytes off their namespace's ledger (the quota
-- maxStagedBytesPerNamespace): the ledger hash holds local id -> bytes staged, and 'total'. A
-- no-op for a transaction that staged nothing (or was released already). Back at zero, the ledger
-- goes (an idle namespace keeps no key for it). `localIds`: a list, so that a batch of commits
-- releases theirs in three commands, not three per commit (measured: 28k of a staged commit's
-- 364k instructions, per commit).
local function releaseStaged(ledgerKey, localIds)
  local held = redis.call('HMGET', ledgerKey, unpack(localIds))
  local bytes, released = 0, {}
  for i, value in ipairs(held) do
    if value then
      bytes = bytes + tonumber(value)
      released[#released + 1] = localIds[i]
    end
  end
  if #released > 0 then
    if redis.call('HINCRBY', ledgerKey, 'total', string.format('%d', -bytes)) == 0 then
      released[#released + 1] = 'total'
    end
    redis.call('HDEL', ledgerKey, unpack(released))
  end
end

-- Takes a transaction's staged bytes off its namespace's ledger (the quota
-- maxStagedBytesPerNamespace): the ledger hash holds local id -> bytes staged, and 'total'. A
-- no-op for a transaction that staged nothing (or was released already).
local function releaseStaged(ledgerKey, localId)
  local bytes = redis.call('HGET', ledgerKey, localId)
  if bytes then
    redis.call('HINCRBY', ledgerKey, 'total', -tonumber(bytes))
    redis.call('HDEL', ledgerKey, localId)
  end
end

-- Takes a transaction's staged bytes off its namespace's ledger (the quota
-- maxStagedBytesPerNamespace): the ledger hash holds local id -> bytes staged, and 'total'. A
-- no-op for a transaction that staged nothing (or was released already). Back at zero, the ledger
-- goes (an idle namespace keeps no key for it).
local function releaseStaged(ledgerKey, localId)
  local bytes = redis.call('HGET', ledgerKey, localId)
  if bytes then
    if redis.call('HINCRBY', ledgerKey, 'total', string.format('%d', -tonumber(bytes))) == 0 then
      redis.call('HDEL', ledgerKey, localId, 'total')
    else
      redis.call('HDEL', ledgerKey, localId)
    end
  end
end

-- Moves a transaction to a final machine state: stores the state and its persisted snapshot,
-- drops the staged operations and keeps the record for `retentionMs` so that late callers get
-- "already committed" / "already aborted" / "timeout" instead of "not found".
local function finishTransaction(txKey, opsKey, state, snapshot, now, retentionMs)
  redis.call('HSET', txKey, 'state', state, 'snapshot', snapshot, 'finishedAt', now)
  redis.call('DEL', opsKey)
  redis.call('PEXPIRE', txKey, retentionMs)
end

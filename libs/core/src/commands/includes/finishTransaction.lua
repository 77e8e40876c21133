-- Moves a transaction to a final machine state: drops its staged operations (`stagedFields`, the
-- hash fields that hold them), stores the state, its persisted snapshot and `extra` field/value
-- pairs, and leaves the deadline index. The record keeps the expiry set at begin (deadline plus
-- retention), so late callers get "already committed" / "already aborted" / "timeout".
local function finishTransaction(txKey, deadlinesKey, stagedFields, state, snapshot, now, extra)
  stagedFields[#stagedFields + 1] = 'seq'
  stagedFields[#stagedFields + 1] = 'ops'
  stagedFields[#stagedFields + 1] = 'bytes'
  redis.call('HDEL', txKey, unpack(stagedFields))
  redis.call('HSET', txKey, 'state', state, 'snapshot', snapshot, 'finishedAt', now, unpack(extra))
  redis.call('ZREM', deadlinesKey, string.match(txKey, ':([^:]+)$'))
end

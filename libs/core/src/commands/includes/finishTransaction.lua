-- Moves a transaction to a final machine state: drops its staged operations (`stagedFields`, the
-- hash fields that hold them), stores the state, its persisted snapshot and `extra` field/value
-- pairs, leaves the deadline index (unless `deadlinesKey` is false: the caller removes it) and
-- the namespace's ledger of staged bytes (`ledgerKey`, see releaseStaged; false: the caller releases), and
-- stays readable for `retentionMs`, so that late callers get "already committed" / "already
-- aborted" / "timeout" and a retried commit its commitTs. A transaction begun with a chosen id
-- ('chosen') is kept at least until its deadline plus the retention, as its begin set it: a begin of
-- that id before its deadline must find it, never create it again. `chosen`: whether it was, when
-- the caller read the hash already (nil: asked here).
local function finishTransaction(txKey, deadlinesKey, ledgerKey, stagedFields, state, snapshot, now, retentionMs, extra,
                                 chosen)
  stagedFields[#stagedFields + 1] = 'seq'
  stagedFields[#stagedFields + 1] = 'bytes'
  -- In slices: a transaction's reads leave a condition field each, as many as it made, and
  -- unpack refuses about 8,000 values (a commit would fail after applying its writes).
  for from = 1, #stagedFields, 6000 do
    redis.call('HDEL', txKey, unpack(stagedFields, from, math.min(from + 5999, #stagedFields)))
  end
  redis.call('HSET', txKey, 'state', state, 'snapshot', snapshot, 'finishedAt', now, unpack(extra))
  if chosen == nil then
    chosen = redis.call('HEXISTS', txKey, 'chosen') == 1
  end
  if not chosen or redis.call('PTTL', txKey) < retentionMs then
    redis.call('PEXPIRE', txKey, string.format('%d', retentionMs))
  end
  local localId = string.match(txKey, ':([^:]+)$')
  if deadlinesKey then
    redis.call('ZREM', deadlinesKey, localId)
  end
  if ledgerKey then
    releaseStaged(ledgerKey, { localId })
  end
end

-- The check every operation on a transaction starts with: nil when the machine accepts `event`
-- (see transitions) in the stored state and the transaction is within its deadline, otherwise the
-- script's reply — { -1 } not found, { -2, state } refused in that state, { -3 } timed out (the
-- transaction takes the machine's TIMEOUT on the way). `tx` holds HMGET state, deadline, ...
local function refuseUnlessOpen(tx, event, txKey, deadlinesKey, ledgerKey, timedOutSnapshot, retentionMs)
  if not tx[1] then
    return { -1 }
  end
  if not nextState(tx[1], event) then
    return { -2, tx[1] }
  end
  local timedOut = nextState(tx[1], 'TIMEOUT')
  local now = nowMs()
  if timedOut and now >= tonumber(tx[2]) then
    finishTransaction(txKey, deadlinesKey, ledgerKey, stagedFieldsOf(txKey), timedOut, timedOutSnapshot, now,
      retentionMs, {})
    return { -3 }
  end
  return nil
end

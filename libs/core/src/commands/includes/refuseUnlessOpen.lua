-- The check every operation on a transaction starts with: nil when it is open and within its
-- deadline, otherwise the script's reply — { -1 } not found, { -2, state } not open, { -3 } timed
-- out (the transaction is moved to 'timedOut' on the way). `tx` holds HMGET state, deadline, ...
local function refuseUnlessOpen(tx, txKey, deadlinesKey, ledgerKey, timedOutSnapshot, retentionMs)
  if not tx[1] then
    return { -1 }
  end
  if tx[1] ~= 'open' then
    return { -2, tx[1] }
  end
  local now = nowMs()
  if now >= tonumber(tx[2]) then
    finishTransaction(txKey, deadlinesKey, ledgerKey, stagedFieldsOf(txKey), 'timedOut', timedOutSnapshot, now,
      retentionMs, {})
    return { -3 }
  end
  return nil
end

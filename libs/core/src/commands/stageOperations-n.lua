--[[
  Stages a batch of writes and deletes, each into its open transaction (group staging: one call
  for the operations of many concurrent transactions of one namespace). Each operation is checked
  and applied on its own; the last operation on a record wins.

  KEYS[1]          deadline index      <prefix>:{<ns>}:deadlines
  KEYS[2]          staged-bytes ledger <prefix>:{<ns>}:staged (local id -> bytes, 'total')
  KEYS[2 + i]      transaction hash    <prefix>:{<ns>}:tx:<id> of the i-th operation

  ARGV[1]          maxOperationsPerTransaction
  ARGV[2]          maxTransactionBytes
  ARGV[3]          persisted snapshot of 'timedOut' (applied when a deadline has passed)
  ARGV[4]          retentionMs: how long a finished transaction stays readable
  ARGV[5]          maxStagedBytesPerNamespace: most bytes the namespace's open transactions stage
  ARGV[4i + 2]     record field (agentId NUL key) of the i-th operation
  ARGV[4i + 3]     'w' (write) or 'd' (delete)
  ARGV[4i + 4]     value JSON ('' for a delete)
  ARGV[4i + 5]     condition: '' (none), or the version the record must have at commit ('0': it
                   must not exist), stored as the field SOH record (see commitTransactions)

  Returns { code_1, detail_1, ..., code_n, detail_n }, per operation:
          0, seq        staged, as the field "<seq>:<w|d>:<json>" of the transaction hash
          -1, 0         no such transaction (NOT_FOUND)
          -2, state     the transaction is not open (NOT_OPEN)
          -3, 0         its deadline has passed; now timed out (TIMEOUT)
          -4, max       too many operations (TOO_MANY_OPERATIONS)
          -5, max       too many bytes staged (TOO_MANY_BYTES)
          -12, max      the namespace's quota of staged bytes would be passed (QUOTA_STAGED_BYTES)
]]
--- @include "marks"
--- @include "replicateCommands"
--- @include "nowMs"
--- @include "releaseStaged"
--- @include "finishTransaction"
--- @include "stagedFieldsOf"
--- @include "transitions"

local deadlinesKey, ledgerKey = KEYS[1], KEYS[2]
local maxNamespaceBytes = tonumber(ARGV[5])
local maxOperations, maxBytes = tonumber(ARGV[1]), tonumber(ARGV[2])
local retentionMs = tonumber(ARGV[4])
local now = nowMs()
local out = {}

-- 'bytes' adds up every staged entry, overwritten ones included: an upper bound of what the
-- transaction holds. Only when that or the number of stagings passes a limit are the exact
-- figures (distinct records, bytes of the entries that stay) computed, so the usual staging is two
-- commands.
local function stage(txKey, field, kind, json, ifVersion)
  local tx = redis.call('HMGET', txKey, 'state', 'deadline', 'seq', 'bytes')
  if not tx[1] then
    return -1, 0
  end
  if not nextState(tx[1], kind == 'd' and 'DELETE' or 'WRITE') then
    return -2, tx[1]
  end
  local timedOut = nextState(tx[1], 'TIMEOUT')
  if timedOut and now >= tonumber(tx[2]) then
    finishTransaction(txKey, deadlinesKey, ledgerKey, stagedFieldsOf(txKey), timedOut, ARGV[3], now, retentionMs, {})
    return -3, 0
  end
  local seq = tonumber(tx[3]) + 1
  local entry = seq .. ':' .. kind .. ':' .. json
  local bytes = tonumber(tx[4]) + #entry
  if seq > maxOperations or bytes > maxBytes then
    local count, exact = 1, #entry
    local staged = redis.call('HGETALL', txKey)
    for i = 1, #staged, 2 do
      if staged[i] ~= field and string.sub(staged[i], 1, 1) ~= CONDITION_MARK and string.find(staged[i], SEPARATOR, 1, true) then
        count = count + 1
        exact = exact + #staged[i + 1]
      end
    end
    if count > maxOperations then
      return -4, maxOperations
    end
    if exact > maxBytes then
      return -5, maxBytes
    end
    bytes = exact
  end
  -- The namespace's quota, on what this staging adds (a smaller exact figure gives bytes back).
  local delta = bytes - tonumber(tx[4])
  local total = tonumber(redis.call('HGET', ledgerKey, 'total')) or 0
  if delta > 0 and total + delta > maxNamespaceBytes then
    return -12, maxNamespaceBytes
  end
  redis.call('HSET', ledgerKey, 'total', total + delta, string.match(txKey, ':([^:]+)$'), bytes)
  if ifVersion == '' then
    redis.call('HSET', txKey, field, entry, 'seq', seq, 'bytes', bytes)
  else
    redis.call('HSET', txKey, field, entry, 'seq', seq, 'bytes', bytes,
      CONDITION_MARK .. field, ifVersion == '0' and '!' or ifVersion)
  end
  return 0, seq
end

for i = 1, #KEYS - 2 do
  local a = 4 * i + 2
  local code, detail = stage(KEYS[2 + i], ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3])
  out[2 * i - 1] = code
  out[2 * i] = detail
end
return out

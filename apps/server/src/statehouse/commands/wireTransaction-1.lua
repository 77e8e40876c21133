-- statehouse.v1 transactions before their first write binds them to a namespace
-- (apps/server/src/statehouse/wire-transactions.ts).
--
-- KEYS[1] the wire transaction's record: hash deadline (ms, Redis clock), state ('open' |
-- 'aborted'), owner (a hash of the token that began it; absent without tokens), namespace (once
-- bound). It expires after the deadline plus the retention of finished transactions. ARGV[1] is
-- the action:
--   begin, timeoutMs, retentionMs, owner -> { 0, deadline }
--   bind, owner, namespace -> { 0, namespace, remainingMs, owner } bound (now, or before to this
--                        namespace; remainingMs <= 0: past its deadline)
--                        { 1 } unbound (namespace '': only looking)
--                        { -1 } not found, { -2 } aborted, { -3 } past its deadline while unbound,
--                        { -4, namespace } bound to another namespace, { -5 } another token's
--   abort, owner       -> { 0 } aborted now (unbound), { 1, namespace } bound: abort it there,
--                        { 2 } already aborted, { -1 } not found, { -5 } another token's
-- Every check comes before the first write.

--- @include "nowMs"

local now = nowMs()
local action = ARGV[1]
if action == 'begin' then
  local deadline = now + tonumber(ARGV[2])
  redis.call('HSET', KEYS[1], 'deadline', deadline, 'state', 'open')
  if ARGV[4] ~= '' then
    redis.call('HSET', KEYS[1], 'owner', ARGV[4])
  end
  redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]))
  return { 0, deadline }
end
local tx = redis.call('HMGET', KEYS[1], 'deadline', 'state', 'namespace', 'owner')
if not tx[1] then
  return { -1 }
end
if tx[4] and tx[4] ~= ARGV[2] then
  return { -5 }
end
local owner = tx[4] or ''
local deadline = tonumber(tx[1])
if action == 'abort' then
  if tx[3] then
    return { 1, tx[3] }
  end
  if tx[2] == 'aborted' then
    return { 2 }
  end
  redis.call('HSET', KEYS[1], 'state', 'aborted')
  return { 0 }
end
-- bind
if tx[3] then
  if ARGV[3] ~= '' and ARGV[3] ~= tx[3] then
    return { -4, tx[3] }
  end
  return { 0, tx[3], deadline - now, owner }
end
if tx[2] == 'aborted' then
  return { -2 }
end
if now >= deadline then
  return { -3 }
end
if ARGV[3] == '' then
  return { 1 }
end
redis.call('HSET', KEYS[1], 'namespace', ARGV[3])
return { 0, ARGV[3], deadline - now, owner }

-- Calls a variadic command (HSET, ZADD, HMGET...) on `key` with `args`, in as few calls as Lua's
-- stack allows: unpack refuses about 8,000 values, and a batch's deferred writes can hold more.
-- `step` arguments go together (2 for field/value or score/member pairs) and never split.
-- Returns the replies of the calls, concatenated when the command replies with an array.
local function callInChunks(command, key, args, step)
  local size = 6000 - 6000 % step
  if #args <= size then
    return redis.call(command, key, unpack(args))
  end
  local replies = {}
  for from = 1, #args, size do
    local reply = redis.call(command, key, unpack(args, from, math.min(from + size - 1, #args)))
    if type(reply) == 'table' then
      for _, value in ipairs(reply) do
        replies[#replies + 1] = value
      end
    end
  end
  return replies
end

-- Before Redis 5, scripts that read TIME must ask for effects replication. Later versions do it
-- by default and keep the function as a no-op.
if redis.replicate_commands then
  pcall(redis.replicate_commands)
end

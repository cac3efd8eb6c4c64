-- Entry point for every *_by_lua_block in the rendered nginx.conf. nginx.conf only ever calls
-- require("svclab").<phase>(<numbers or booleans>): no value from the cluster is ever written
-- into Lua source. Every module is required here, in init_by_lua (the master, before fork), so
-- workers never read Lua files at request time (they may run as an unprivileged user).

local configuration = require("configuration")
local backends = require("backends")
local balancer = require("balancer")
local redirect = require("redirect")
local metrics = require("metrics")

local _M = {}

-- cfg: { status_port = <number> } rendered from the controller's own settings
function _M.init(cfg)
  balancer.set_status_port(cfg.status_port)
end

function _M.init_worker()
  -- Seed per worker: every worker forks the master's PRNG state, and canary weights and the
  -- round-robin start must not be identical across workers.
  local seed = ngx.now() * 1000 + ngx.worker.pid()
  local f = io.open("/dev/urandom", "rb")
  if f then
    local s = f:read(4)
    f:close()
    if s and #s == 4 then
      seed = ((s:byte(1) * 256 + s:byte(2)) * 256 + s:byte(3)) * 256 + s:byte(4)
    end
  end
  math.randomseed(seed)
end

-- rewrite phase of a proxied location: https redirect first (as ingress-nginx), then pick the
-- backend (canary or primary) and its endpoint.
function _M.rewrite(redirect_to_https)
  if redirect_to_https then
    redirect.to_https_if_plain()
  end
  backends.sync()
  balancer.choose()
end

-- balancer_by_lua: hand nginx the endpoint chosen in rewrite (or the next one on a retry)
function _M.balance()
  balancer.balance()
end

function _M.log()
  metrics.count()
end

-- status server handlers
function _M.configuration()
  configuration.call()
end

function _M.metrics()
  metrics.report()
end

function _M.is_initialized()
  if configuration.get_backends() then
    ngx.say("OK")
    return ngx.exit(ngx.HTTP_OK)
  end
  return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
end

return _M

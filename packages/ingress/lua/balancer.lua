-- Picks the endpoint for a proxied request. The choice is made in the rewrite phase (choose), where
-- a 503 can still be sent and a Set-Cookie added; balancer_by_lua (balance) only hands that
-- endpoint to nginx, or on a retry (proxy_next_upstream) the next round-robin one.

local ngx_balancer = require("ngx.balancer")
local backends = require("backends")
local canary = require("canary")
local sticky = require("sticky")

local _M = {}

local status_port = 10246

function _M.set_status_port(port)
  status_port = port
end

-- ingress-nginx refuses to proxy to its own status port (an Endpoint pointing at 127.0.0.1:10246
-- would otherwise reach the configuration endpoint).
local function prohibited(ep)
  return ep.port == status_port and ep.address:match("^127%.") ~= nil
end

local function pick(backend)
  if backend.affinity then
    return sticky.pick(backend)
  end
  return backend.rr:pick()
end

function _M.choose()
  local name = ngx.var.proxy_upstream_name
  local backend = backends.get(name)
  if not backend then
    -- unknown backend, or one with no ready endpoints
    return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
  end

  local alternative_name = backend.alternatives[1]
  if alternative_name then
    local alternative = backends.get(alternative_name)
    if alternative and canary.use_alternative(backend, alternative) then
      ngx.var.proxy_alternative_upstream_name = alternative_name
      backend = alternative
    end
  end

  local ep = pick(backend)
  if prohibited(ep) then
    ngx.log(ngx.ERR, "refusing to proxy to the status port: backend ", backend.name, " endpoint ", ep.address, ":", ep.port)
    return ngx.exit(ngx.HTTP_SERVICE_UNAVAILABLE)
  end
  ngx.ctx.svclab_backend = backend
  ngx.ctx.svclab_peer = ep
end

function _M.balance()
  local ctx = ngx.ctx
  local backend, ep = ctx.svclab_backend, ctx.svclab_peer
  if not ep then
    ngx.log(ngx.ERR, "balancer called without a chosen endpoint")
    return ngx.exit(ngx.ERROR)
  end

  local tries = (ctx.svclab_tries or 0) + 1
  ctx.svclab_tries = tries
  if tries > 1 then
    -- a retry: nginx says the previous endpoint failed; try another one
    ep = backend.rr:pick_other(ep)
    if prohibited(ep) then
      return ngx.exit(ngx.ERROR)
    end
    ctx.svclab_peer = ep
  end
  -- the upstream block has a single placeholder server, so nginx would never retry unless told
  -- there is another try; proxy_next_upstream_tries still caps the total
  if tries < #backend.endpoints then
    ngx_balancer.set_more_tries(1)
  end

  local ok, err = ngx_balancer.set_current_peer(ep.address, ep.port)
  if not ok then
    ngx.log(ngx.ERR, "could not set upstream peer ", ep.address, ":", ep.port, ": ", err)
    return ngx.exit(ngx.ERROR)
  end
end

return _M

-- ssl-redirect / force-ssl-redirect, as ingress-nginx's lua_ingress.rewrite does it: a request
-- that arrived over plain http gets 308 to https://<host without port><request_uri>, with one
-- trailing "/" removed (preserve-trailing-slash defaults to false; so "/" becomes "https://host").
-- No port in the Location header (use-port-in-redirects defaults to false). Whether a location
-- redirects at all is decided at render time and passed as a boolean.

local _M = {}

local HTTP_PERMANENT_REDIRECT = 308

local function host_without_port()
  local host = ngx.var.best_http_host or ngx.var.host or ""
  local colon = host:find(":", 1, true)
  if colon then
    return host:sub(1, colon - 1)
  end
  return host
end

function _M.to_https_if_plain()
  if ngx.var.pass_access_scheme ~= "http" then
    return
  end
  local uri = ngx.var.request_uri or "/"
  if uri:sub(-1) == "/" then
    uri = uri:sub(1, -2)
  end
  return ngx.redirect("https://" .. host_without_port() .. uri, HTTP_PERMANENT_REDIRECT)
end

return _M

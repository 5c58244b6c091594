-- POST /v1/track: one realistic track event per request, each with a unique messageId
-- (<run prefix>-<thread>-<counter>) so that de-duplication never short-circuits the write.
-- wrk ... -s track.lua <url>/v1/track -- <run prefix>
-- The Authorization and Content-Type headers come from wrk -H. Against nginx the same body is
-- sent; nginx ignores it.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local events = { "Order Completed", "Product Viewed", "Product Added", "Checkout Started", "Signed Up" }
local plans = { "free", "pro", "team", "enterprise" }

function init(args)
   bench_init(args)
end

function request()
   n = n + 1
   local body = '{"userId":"user-' .. tid .. "-" .. (n % 5000)
      .. '","event":"' .. events[n % #events + 1]
      .. '","properties":{"orderId":"o-' .. n .. '","revenue":' .. (n % 200) .. '.5,"currency":"USD","plan":"'
      .. plans[n % #plans + 1]
      .. '","items":3},"context":{"library":{"name":"analytics-node","version":"2.1.0"},"userAgent":"sluice-bench/1"},"timestamp":"'
      .. timestamp .. '","messageId":"' .. id_prefix .. n .. '"}'
   return wrk.format("POST", nil, nil, body)
end

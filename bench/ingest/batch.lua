-- POST /v1/batch: 100 track events per request, each with a unique messageId
-- (<run prefix>-<thread>-<request counter>-<index>).
-- wrk ... -s batch.lua <url>/v1/batch -- <run prefix>
-- The body is assembled from pre-built pieces so that the load generator, which shares the
-- machine with the server, spends as little CPU as it can.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local EVENTS_PER_REQUEST = 100
local events = { "Order Completed", "Product Viewed", "Product Added", "Checkout Started", "Signed Up" }
local plans = { "free", "pro", "team", "enterprise" }
local parts = {}

function init(args)
   bench_init(args)
   parts[1] = '{"sentAt":"' .. timestamp .. '","batch":['
   for i = 1, EVENTS_PER_REQUEST do
      parts[3 * i - 1] = (i > 1 and "," or "")
         .. '{"type":"track","userId":"user-' .. tid .. "-" .. (i * 37 % 5000)
         .. '","event":"' .. events[i % #events + 1]
         .. '","properties":{"orderId":"o-' .. i .. '","revenue":' .. (i * 7 % 200) .. '.5,"currency":"USD","plan":"'
         .. plans[i % #plans + 1]
         .. '","items":' .. (i % 5 + 1) .. '},"context":{"library":{"name":"analytics-node","version":"2.1.0"},"userAgent":"sluice-bench/1"},"timestamp":"'
         .. timestamp .. '","messageId":"'
      parts[3 * i] = ""   -- the request's unique token, set per request
      parts[3 * i + 1] = "-" .. i .. '"}'
   end
   parts[3 * EVENTS_PER_REQUEST + 2] = "]}"
end

function request()
   n = n + 1
   local token = id_prefix .. n
   for i = 1, EVENTS_PER_REQUEST do parts[3 * i] = token end
   return wrk.format("POST", nil, nil, table.concat(parts))
end

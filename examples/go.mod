module github.com/brookmq/brook/examples

go 1.26.0

require (
	github.com/brookmq/brook v0.0.0
	github.com/brookmq/brook/redis v0.0.0
	github.com/chromedp/cdproto v0.160.1
	github.com/chromedp/chromedp v0.23.1
	github.com/coder/websocket v1.8.15
	github.com/redis/go-redis/v9 v9.23.0
	go.uber.org/goleak v1.3.0
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	go.uber.org/atomic v1.12.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

require (
	github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect
	github.com/gobwas/glob v1.1.0 // indirect
	github.com/google/btree v1.1.3 // indirect
)

replace github.com/brookmq/brook => ../

replace github.com/brookmq/brook/redis => ../redis

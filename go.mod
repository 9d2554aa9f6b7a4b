module github.com/brookmq/brook

go 1.26.0

require (
	github.com/gobwas/glob v1.1.0
	github.com/google/btree v1.1.3
	go.uber.org/goleak v1.3.0
	golang.org/x/term v0.48.0
)

require golang.org/x/sys v0.50.0 // indirect

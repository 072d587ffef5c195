module github.com/dmr-go/dmr/bench/api

go 1.26.0

require github.com/dmr-go/dmr v0.0.0

require github.com/danielgtaylor/huma/v2 v2.37.2

replace github.com/dmr-go/dmr => ../..

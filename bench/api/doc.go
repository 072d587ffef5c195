// Package api compares dmr's typed endpoints with huma v2 on the same
// endpoint. It is a separate module so that huma never becomes a dependency
// of dmr itself.
package api

//go:build go1.25 && !go1.26

// A Go 1.25 build runs with Go 1.25's GODEBUG defaults, not the go line's (1.24): ARCHITECTURE.md, "GODEBUG".

//go:debug default=go1.25

package main

//go:build go1.27

// A Go 1.27 build runs with Go 1.27's GODEBUG defaults, not the go line's (1.24): ARCHITECTURE.md, "GODEBUG".

//go:debug default=go1.27

package main

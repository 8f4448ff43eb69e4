// Package export_wit_world implements the `faulty` world (wit/faulty.wit): exports that misbehave on purpose.
package export_wit_world

import "unsafe"

// Echo returns value unchanged.
func Echo(value uint32) uint32 {
	return value
}

var sink uint64

// Spin loops forever without calling the host.
func Spin() {
	for i := uint64(0); ; i++ {
		sink += i
	}
}

var hoard [][]byte

// Hog allocates mib MiB at a time, touching every page, and keeps all of it, forever.
func Hog(mib uint32) uint32 {
	for {
		block := make([]byte, int(mib)<<20)
		for i := 0; i < len(block); i += 4096 {
			block[i] = 1
		}
		hoard = append(hoard, block)
	}
}

// Crash panics with message.
func Crash(message string) {
	panic(message)
}

// Recurse calls itself depth times.
func Recurse(depth uint32) uint32 {
	if depth == 0 {
		return 0
	}
	return Recurse(depth-1) + 1
}

// farOffset lies beyond any linear memory from sink's address.
var farOffset uint32 = 0xF000_0000

// Trap reads an address far beyond linear memory, which WebAssembly turns into a trap. The address is computed
// as an integer: TinyGo's LLVM, given a pointer into the 8-byte global, assumed the read stays inside it (anything
// else is undefined behaviour to it) and read sink instead.
func Trap() uint32 {
	return *(*uint32)(unsafe.Pointer(uintptr(unsafe.Pointer(&sink)) + uintptr(farOffset)))
}

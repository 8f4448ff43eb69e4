//go:build !tinygo

package runtime

// Support for pre-initialized (snapshotted) modules and for the WASI preview1 adapter (gowasm additions; see
// ../../README.md). Both exports exist in every module; only the pipeline's `-wizer` level calls `gowasm_resume`.

import (
	"time"
	"unsafe"
)

// cabiReallocAdapter is the allocator wit-component hands to the WASI preview1 adapter (it prefers an export of
// this name over `cabi_realloc`). The adapter allocates its state and its stack once per instance, on its first
// WASI call, and keeps them for the instance's life in globals the Go GC cannot see. So the memory comes from
// `runtime.sbrk`, outside the Go heap, and is never freed: in a Go heap it would be unpinned by the next export
// and reused (in a snapshotted module the adapter's first call comes after package init, when `cabi_realloc`
// serves the Go heap).
//
//go:wasmexport cabi_realloc_adapter
func cabiReallocAdapter(oldPointer unsafe.Pointer, oldSize, align, newSize uintptr) unsafe.Pointer {
	if oldPointer != nil || oldSize != 0 {
		panic("cabi_realloc_adapter: reallocation is not supported")
	}
	// sbrk hands out whole 64 KiB pages, so the result is aligned already; the offset is a guard.
	alignedSize := newSize + offset(newSize, align)
	unaligned := sbrk(alignedSize)
	if unaligned == nil {
		panic("cabi_realloc_adapter: out of memory")
	}
	return unsafe.Add(unaligned, offset(uintptr(unaligned), align))
}

// The runtime's random state, reached by name (needs -ldflags=-checklinkname=0, one of the build flags).

//go:linkname readRandom runtime.readRandom
func readRandom(r []byte) int

//go:linkname getm runtime.getm
func getm() uintptr

//go:linkname mrandinit runtime.mrandinit
func mrandinit(mp uintptr)

//go:linkname chacha8Init internal/chacha8rand.(*State).Init
func chacha8Init(state unsafe.Pointer, seed [32]byte)

// globalRand is the runtime's `globalRand` struct { lock mutex; seed [32]byte; state chacha8rand.State; init bool }
// (unchanged from Go 1.22 to 1.26). Only its address is used; the layout is checked before anything is written.
//
//go:linkname globalRand runtime.globalRand
var globalRand uint64

const (
	// runtime.mutex on wasm without lock ranking is one uintptr.
	globalRandSeedOffset = 8
	// internal/chacha8rand.State: buf [32]uint64, seed [4]uint64, i, n, c uint32, padded to 8 bytes.
	chacha8StateSize      = (32*8 + 4*8 + 3*4 + 7) &^ 7
	globalRandStateOffset = globalRandSeedOffset + 32
	globalRandInitOffset  = globalRandStateOffset + chacha8StateSize
)

// resume runs once per instance of a snapshotted module, from the component's start function (the pipeline
// exports it as `_initialize`). A snapshot freezes the runtime's random state: every instance would draw the same
// map seeds, math/rand and math/rand/v2 values. resume re-seeds the runtime's global generator from the host
// (random_get) and the per-M generator behind runtime.rand from it, as the runtime's own start-up does, so
// everything drawn after instantiation differs per instance. What was drawn during package init (at build time)
// stays as the snapshot recorded it: the runtime's map hash key and the seeds of maps created during init.
//
// It also reads both clocks once. The pipeline's hardening (xtask/src/harden.rs) answers clock reads inside
// `cabi_realloc` from the last reading made outside it; a fresh instance of an ordinary module has made many in
// `_initialize`, a snapshot none, and a GC started by the first `cabi_realloc` would see time 0 and throw.
//
//go:wasmexport gowasm_resume
func resume() {
	base := unsafe.Pointer(&globalRand)
	lock := *(*uintptr)(base)
	seedCleared := *(*[32]byte)(unsafe.Add(base, globalRandSeedOffset)) == [32]byte{}
	initialized := *(*bool)(unsafe.Add(base, globalRandInitOffset))
	if lock != 0 || !seedCleared || !initialized {
		panic("gowasm_resume: runtime.globalRand does not have the expected layout (Go release not supported)")
	}
	var seed [32]byte
	if readRandom(seed[:]) != len(seed) {
		panic("gowasm_resume: random_get failed")
	}
	chacha8Init(unsafe.Add(base, globalRandStateOffset), seed)
	clear(seed[:])
	mrandinit(getm())
	_ = time.Now()
}

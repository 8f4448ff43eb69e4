//go:build !tinygo

// The parts of the runtime that need the gc toolchain's runtime internals (gowasm; see ../../README.md).

package runtime

import (
	"runtime"
	"unsafe"
)

// AddCleanup is runtime.AddCleanup (generated glue for resources names it through this package, like Pinner).
func AddCleanup[T, S any](ptr *T, cleanup func(S), arg S) {
	runtime.AddCleanup(ptr, cleanup, arg)
}

// Before the Go runtime is initialised the adapter's allocations come from runtime.sbrk, outside the Go heap.
// The following is an abbreviation of [Till's efforts](https://github.com/bytecodealliance/go-modules/pull/367).

//go:linkname sbrk runtime.sbrk
func sbrk(n uintptr) unsafe.Pointer

func allocateBeforeInit(size, align uintptr) unsafe.Pointer {
	alignedSize := size + offset(size, align)
	unaligned := sbrk(alignedSize)
	off := offset(uintptr(unaligned), align)
	return unsafe.Add(unaligned, off)
}

// gcBlackenEnabled is non-zero while a garbage collection is in its mark phase.
//
//go:linkname gcBlackenEnabled runtime.gcBlackenEnabled
var gcBlackenEnabled uint32

// noteLowered has nothing to do on the gc toolchain (see afterUnpin; collectInRealloc serves both toolchains).
func noteLowered(size uintptr) {}

// collectorFreed and noteCollection count collections inside cabi_realloc on TinyGo only: the gc toolchain's
// collector calls out of the instance there, and the hardening pass counts those calls (gowasm:harden/window).
func collectorFreed() uint64 { return 0 }

func noteCollection(freedBefore uint64) {}

// afterUnpin runs at the end of Unpin, inside an export.
//
// Hardening (gowasm): a wasip1 reactor runs the Go scheduler only when an export blocks, so the GC's background
// mark worker and the GC CPU limiter's bookkeeping never run on their own. A collection whose assists have been
// switched off by the limiter then never finishes its mark phase and the heap grows until memory runs out. If a
// mark phase is in progress, yield once here, inside the export (where the runtime may call imports): the mark
// worker runs and completes the cycle.
func afterUnpin() {
	if gcBlackenEnabled != 0 {
		runtime.Gosched()
	}
}

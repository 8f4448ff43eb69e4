//go:build tinygo

// The TinyGo flavour of the parts that need runtime internals (gowasm; see ../../README.md). TinyGo has no
// runtime.Pinner (pin.go's Pinner serves both toolchains), no runtime.sbrk and no runtime.gcBlackenEnabled; its
// collectors never move objects and collect only when an allocation finds the heap full (stop-the-world, no
// background worker, no clock reads).

package runtime

import (
	"runtime"
	"unsafe"
)

// AddCleanup would run cleanup(arg) once ptr is unreachable. TinyGo runs no finalizers or cleanups, so a
// resource handle dropped by the guest is released only when the instance goes away.
func AddCleanup[T, S any](ptr *T, cleanup func(S), arg S) {}

// TinyGo's heap is initialised first thing in `_initialize`, before any package init and before the WASI
// adapter's first call, so even the earliest allocation can come from the heap.
func allocateBeforeInit(size, align uintptr) unsafe.Pointer {
	return allocatePermanent(size, align)
}

// permanent keeps the adapter's allocations reachable for the life of the instance.
var permanent []unsafe.Pointer

func allocatePermanent(size, align uintptr) unsafe.Pointer {
	pointer := allocateRaw(size, align)
	permanent = append(permanent, pointer)
	return pointer
}

// cabiReallocAdapter is the allocator wit-component hands to the WASI preview1 adapter (it prefers an export of
// this name to cabi_realloc). The adapter allocates its state once, possibly inside an export, and keeps it for
// the life of the instance: that memory must never be released by the next Unpin, so it is kept here.
//
//go:wasmexport cabi_realloc_adapter
func cabiReallocAdapter(oldPointer unsafe.Pointer, oldSize, align, newSize uintptr) unsafe.Pointer {
	if oldPointer != nil || oldSize != 0 {
		panic("todo")
	}
	return allocatePermanent(newSize, align)
}

// gcFrees is how many heap objects TinyGo's collector has freed (runtime.gcFrees in its gc_blocks.go; what
// runtime.ReadMemStats reports as Frees, read here without the walk over the whole heap ReadMemStats makes).
//
//go:extern runtime.gcFrees
var gcFrees uint64

// collectionsInRealloc counts the allocations for the host (cabi_realloc) during which the collector ran: each a
// collection while the host was lowering arguments, when an argument lowered before and not kept reachable
// would be freed under the host (the pins are what keeps them). A collection is seen by what it freed, and in a
// stress every collection frees the previous calls' arguments.
var collectionsInRealloc uint64

func collectorFreed() uint64 {
	return gcFrees
}

func noteCollection(freedBefore uint64) {
	if gcFrees != freedBefore {
		collectionsInRealloc++
	}
}

// The count, for the checks' stress (gowasm:harden/collector, exported by TinyGo builds only): TinyGo's
// collector never calls out of the instance, so the hardening pass's window count stays 0 on its builds.
//
//go:wasmexport gowasm:harden/collector@0.1.0#collections-in-realloc
func collectionsInReallocExport() uint64 {
	return collectionsInRealloc
}

// loweredSinceGC counts the bytes the host lowered through cabi_realloc since the last collection run here.
var loweredSinceGC uintptr

// collectEvery is how many lowered bytes trigger a collection in afterUnpin.
const collectEvery = 64 << 20

// noteLowered runs inside cabi_realloc before it allocates `size` bytes for the host.
func noteLowered(size uintptr) {
	loweredSinceGC += size
}

// afterUnpin runs at the end of Unpin, at the top of an export, with a shallow stack.
//
// Hardening (gowasm): TinyGo collects when an allocation finds the heap full, wherever that allocation is, and it
// scans the stack conservatively. Deep inside an export the scanned frames hold stale words of earlier calls
// (e.g. sha256's copies of random input), which pin random heap objects; the collection then frees too little,
// TinyGo doubles linear memory, and a bigger heap makes stale words more likely to look like pointers: with
// random 1 MiB arguments memory grew without bound (544 MiB after 600 calls). Collecting here, where the stack
// is shallow, after every 64 MiB of lowered arguments, keeps the heap from filling up deep inside an export
// (every 16 MiB passed too, at three times the cost: the stress took 326 s instead of 109 s).
func afterUnpin() {
	if loweredSinceGC >= collectEvery {
		loweredSinceGC = 0
		runtime.GC()
	}
}

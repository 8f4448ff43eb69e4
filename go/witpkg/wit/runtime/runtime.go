package runtime

import (
	"fmt"
	"runtime"
	"unsafe"
)

type Handle struct {
	value int32
}

func (h *Handle) Use() int32 {
	if h.value == 0 {
		panic("nil handle")
	}
	return h.value
}

func (h *Handle) Take() int32 {
	if h.value == 0 {
		panic("nil handle")
	}
	value := h.value
	h.value = 0
	return value
}

func (h *Handle) Set(value int32) {
	if value == 0 {
		panic("nil handle")
	}
	if h.value != 0 {
		panic("handle already set")
	}
	h.value = value
}

func (h *Handle) TakeOrNil() int32 {
	value := h.value
	h.value = 0
	return value
}

func MakeHandle(value int32) *Handle {
	if value == 0 {
		panic("nil handle")
	}
	return &Handle{value}
}

func Allocate(pinner *Pinner, size, align uintptr) unsafe.Pointer {
	pointer := allocateRaw(size, align)
	pinner.Pin(pointer)
	return pointer
}

func allocateRaw(size, align uintptr) unsafe.Pointer {
	if size == 0 {
		return nil
	}

	if size%align != 0 {
		panic(fmt.Sprintf("size %v is not compatible with alignment %v", size, align))
	}

	switch align {
	case 1:
		return unsafe.Pointer(unsafe.SliceData(make([]uint8, size)))
	case 2:
		return unsafe.Pointer(unsafe.SliceData(make([]uint16, size/align)))
	case 4:
		return unsafe.Pointer(unsafe.SliceData(make([]uint32, size/align)))
	case 8:
		return unsafe.Pointer(unsafe.SliceData(make([]uint64, size/align)))
	default:
		panic(fmt.Sprintf("unsupported alignment: %v", align))
	}
}

// NB: `cabi_realloc` may be called before the Go runtime has been initialized; see allocateBeforeInit in
// runtime_gc.go (Go) and runtime_tinygo.go (TinyGo).

//nolint:unused
var useGCAllocations = false

func init() {
	useGCAllocations = true
}

//nolint:unused
func offset(ptr, align uintptr) uintptr {
	newptr := (ptr + align - 1) &^ (align - 1)
	return newptr - ptr
}

var pinner = Pinner{}

// Unpin releases the arguments the host lowered through cabi_realloc; the generated glue calls it inside each
// export, after lifting the arguments and before calling the user's function.
func Unpin() {
	pinner.Unpin()
	afterUnpin()
}

// ImportReturned ends a call of an imported function (the generated wrappers defer it; cargo xtask bindgen
// rewrites their `defer pinner.Unpin()`): it releases the call's own pins (arguments, return area) and what the
// host lowered into Go memory for the results through cabi_realloc, which the wrapper has turned into Go values
// by then (they keep that memory alive while they are used). Without it an export that takes no lowered
// arguments kept every import result pinned until the next export that did.
func ImportReturned(own *Pinner) {
	own.Unpin()
	Unpin()
}

//nolint:unused
//go:wasmexport cabi_realloc
func cabiRealloc(oldPointer unsafe.Pointer, oldSize, align, newSize uintptr) unsafe.Pointer {
	if oldPointer != nil || oldSize != 0 {
		panic("todo")
	}

	if useGCAllocations {
		freed := collectorFreed()
		noteLowered(newSize)
		collectInRealloc(newSize)
		pointer := Allocate(&pinner, newSize, align)
		noteCollection(freed)
		return pointer
	}
	return allocateBeforeInit(newSize, align)
}

// collectEveryInRealloc, when not 0, makes cabi_realloc run a whole collection (runtime.GC) before it allocates,
// once that many bytes were lowered since its last one there; the checks' stress sets it (gowasm:harden/stress,
// collect-in-realloc), so that the moment it exists for (the collector running while the host is lowering
// values, with what it lowered before kept only by the pins) comes every few calls. On their own the collectors
// come there too seldom, or too much by luck, to prove anything: TinyGo's allocator collects only when it finds
// the heap full (4 times in the 888 MiB the hasher's stress lowered); Go's collector starts inside cabi_realloc
// only when the allocation that crosses the heap's trigger is one for the host, and its mark phase reaches the
// host there only as often as its time-paced worker leaves it running, which depends on the Go release and on
// the machine's load (the reporter's stress on Go 1.27 saw 13 guarded calls in 500 calls on one machine and
// over 100 in 30 on another).
var collectEveryInRealloc, loweredSinceReallocGC uint64

//go:wasmexport gowasm:harden/stress@0.1.0#collect-in-realloc
func collectInReallocExport(every uint64) {
	collectEveryInRealloc = every
	loweredSinceReallocGC = 0
}

// collectInRealloc runs inside cabi_realloc before it allocates `size` bytes for the host.
func collectInRealloc(size uintptr) {
	if collectEveryInRealloc != 0 {
		loweredSinceReallocGC += uint64(size)
		if loweredSinceReallocGC >= collectEveryInRealloc {
			loweredSinceReallocGC = 0
			runtime.GC()
		}
	}
}

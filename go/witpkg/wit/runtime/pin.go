// The Pinner the generated glue and the wit packages use, on both toolchains (gowasm; see ../../README.md).

package runtime

// Pinner keeps the objects it pinned reachable until Unpin. Neither toolchain's collector moves heap objects, so
// keeping them reachable is all that pinning has to do for memory the host reads or writes: runtime.Pinner's
// liveness comes from the same kind of reference list, and its pin bits (set and cleared under the span's lock on
// every Pin and Unpin) serve only the cgo pointer checks, which a wasm module has no use for. The generated glue
// names witRuntime.Pinner (cargo xtask bindgen rewrites runtime.Pinner); TinyGo has no runtime.Pinner at all.
// Measured on the hasher (go1.26, 5-byte compute-hash, perf): runtime.Pinner's Pin, Unpin, setPinned and their
// helpers were 13% of a call.
//
// A Pinner that holds pins is itself kept reachable from a global (holding): an exported resource's glue pins the
// resource object with a Pinner that is a field of that very object, and a reference from the object to itself
// is no root, so without the global the collector would free a resource the host still holds a handle to.
type Pinner struct {
	refs []any
	// slot is the Pinner's index in holding while it holds pins.
	slot int
}

// holding is every Pinner with pins (a slice, not a map: TinyGo's build-time interpreter cannot hash pointers);
// a pointer to a field keeps the whole object it is in alive.
var holding []*Pinner

// Pin keeps pointer's object alive until Unpin (pointer is an unsafe.Pointer or a pointer, as for
// runtime.Pinner).
func (p *Pinner) Pin(pointer any) {
	if pointer != nil {
		if len(p.refs) == 0 {
			p.slot = len(holding)
			holding = append(holding, p)
		}
		p.refs = append(p.refs, pointer)
	}
}

// Unpin releases every pinned object.
func (p *Pinner) Unpin() {
	if len(p.refs) > 0 {
		if p.slot >= len(holding) || holding[p.slot] != p {
			panic("witRuntime.Pinner: copied while it held pins")
		}
		last := holding[len(holding)-1]
		holding[p.slot] = last
		last.slot = p.slot
		holding[len(holding)-1] = nil
		holding = holding[:len(holding)-1]
	}
	clear(p.refs)
	p.refs = p.refs[:0]
}

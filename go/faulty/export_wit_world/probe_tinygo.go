//go:build tinygo

package export_wit_world

// TinyGo builds use -scheduler=none: there are no goroutines to park or to put to sleep, and TinyGo refuses a
// `go` statement at compile time. The probes say so when called; the check expects exactly this.
const noScheduler = "goroutines need a scheduler; this TinyGo build has -scheduler=none"

// AskParked would ask a goroutine parked since init; without a scheduler there is none.
func AskParked(value uint32) uint32 {
	panic(noScheduler)
}

// Sleepers would start sleeping goroutines; without a scheduler there are none.
func Sleepers(count uint32, ms uint32) uint32 {
	panic(noScheduler)
}

//go:build !tinygo

package export_wit_world

import (
	"runtime"
	"sync"
	"time"
)

// A goroutine started during package init and parked on a channel: in a pre-initialized variant it is part of
// the snapshot.
var (
	requests = make(chan uint32)
	replies  = make(chan uint32)
)

func init() {
	go func() {
		for value := range requests {
			replies <- value + 1
		}
	}()
}

// AskParked sends value to the goroutine started during init and returns its reply.
func AskParked(value uint32) uint32 {
	requests <- value
	return <-replies
}

// Sleepers starts count goroutines that sleep ms milliseconds and report, waits for them, runs a GC and returns
// how many reported.
func Sleepers(count uint32, ms uint32) uint32 {
	var wg sync.WaitGroup
	var mu sync.Mutex
	reported := uint32(0)
	for range count {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(ms) * time.Millisecond)
			mu.Lock()
			reported++
			mu.Unlock()
		}()
	}
	wg.Wait()
	runtime.GC()
	return reported
}

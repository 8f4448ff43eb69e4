package export_wit_world

import (
	cryptorand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"time"
)

// State set during package init: in a pre-initialized variant it is part of the snapshot.
var (
	initTime   = time.Now()
	initRandom = rand.Uint64()
	requests   = make(chan uint32)
	replies    = make(chan uint32)
)

func init() {
	go func() {
		for value := range requests {
			replies <- value + 1
		}
	}()
}

// Random returns a value from math/rand/v2 drawn now.
func Random() uint64 {
	return rand.Uint64()
}

// InitRandom returns the value from math/rand/v2 drawn during package init.
func InitRandom() uint64 {
	return initRandom
}

// CryptoRandom returns eight bytes from crypto/rand.
func CryptoRandom() uint64 {
	var b [8]byte
	if _, err := cryptorand.Read(b[:]); err != nil {
		panic(err)
	}
	return binary.LittleEndian.Uint64(b[:])
}

// SinceInit returns the nanoseconds since package init on the monotonic clock.
func SinceInit() int64 {
	return int64(time.Since(initTime))
}

// Environment returns os.Environ().
func Environment() []string {
	return os.Environ()
}

// Arguments returns os.Args.
func Arguments() []string {
	return os.Args
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

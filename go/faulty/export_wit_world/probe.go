package export_wit_world

import (
	cryptorand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"time"
)

// State set during package init: in a pre-initialized variant it is part of the snapshot.
var (
	initTime   = time.Now()
	initRandom = rand.Uint64()
)

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

// Package export_wit_world implements the exports of the `hasher` world (wit/hasher.wit).
// The generated glue in ../wit_exports.go calls these functions; everything here is plain Go.
package export_wit_world

import (
	"crypto/sha256"
	"encoding/hex"

	witTypes "go.bytecodealliance.org/pkg/wit/types"

	"wit_component/canonjson"
)

// ComputeHash returns the lowercase hexadecimal SHA-256 digest of data.
func ComputeHash(data []uint8) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// ProcessJson returns the canonical form of the JSON document in data (see package canonjson),
// or the decoder's message when data is not valid JSON.
func ProcessJson(data []uint8) witTypes.Result[[]uint8, string] {
	out, err := canonjson.Canonicalize(data)
	if err != nil {
		return witTypes.Err[[]uint8, string](err.Error())
	}
	return witTypes.Ok[[]uint8, string](out)
}

// Package export_wit_world implements the world-level exports of `normalizer` (wit/normalizer.wit) with
// golang.org/x/text/unicode/norm.
package export_wit_world

import (
	"wit_component/wit_world"

	"golang.org/x/text/unicode/norm"
)

// forms maps the world's enum to x/text's forms, in the enum's order.
var forms = [...]norm.Form{norm.NFC, norm.NFD, norm.NFKC, norm.NFKD}

// Normalize implements `normalize`.
func Normalize(text string, form wit_world.Form) string {
	return forms[form].String(text)
}

// IsNormalized implements `is-normalized`.
func IsNormalized(text string, form wit_world.Form) bool {
	return forms[form].IsNormalString(text)
}

// NormalizeAll implements `normalize-all`.
func NormalizeAll(texts []string, form wit_world.Form) []string {
	out := make([]string, len(texts))
	for i, text := range texts {
		out[i] = forms[form].String(text)
	}
	return out
}

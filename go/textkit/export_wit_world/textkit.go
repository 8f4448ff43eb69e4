// Package export_wit_world implements the world-level exports of the textkit world (wit/textkit.wit).
package export_wit_world

import "unicode/utf8"

// Measure returns the number of characters and the number of bytes of text.
func Measure(text string) (uint32, uint32) {
	return uint32(utf8.RuneCountInString(text)), uint32(len(text))
}

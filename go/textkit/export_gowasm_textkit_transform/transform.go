// Package export_gowasm_textkit_transform implements the exported `transform` interface of the textkit world
// (wit/textkit.wit) on top of package textkit.
package export_gowasm_textkit_transform

import (
	"fmt"

	"wit_component/gowasm_textkit_transform"
	"wit_component/textkit"
)

// ending maps the WIT enum to the line break it stands for.
func ending(e gowasm_textkit_transform.LineEnding) string {
	switch e {
	case gowasm_textkit_transform.LineEndingLf:
		return textkit.LF
	case gowasm_textkit_transform.LineEndingCrlf:
		return textkit.CRLF
	case gowasm_textkit_transform.LineEndingCr:
		return textkit.CR
	}
	// The canonical ABI rejects out-of-range enum values before the call reaches Go.
	panic(fmt.Sprintf("invalid line-ending %d", e))
}

// NormalizeLineEndings replaces every line break with the chosen one.
func NormalizeLineEndings(text string, e gowasm_textkit_transform.LineEnding) string {
	return textkit.NormalizeLineEndings(text, ending(e))
}

// Clean applies the selected clean-options to text.
func Clean(text string, options gowasm_textkit_transform.CleanOptions) string {
	has := func(flag gowasm_textkit_transform.CleanOptions) bool { return options&flag != 0 }
	return textkit.Clean(text, textkit.CleanOptions{
		StripPunctuation:   has(gowasm_textkit_transform.CleanOptionsStripPunctuation),
		LowercaseASCII:     has(gowasm_textkit_transform.CleanOptionsLowercaseAscii),
		CollapseWhitespace: has(gowasm_textkit_transform.CleanOptionsCollapseWhitespace),
		Trim:               has(gowasm_textkit_transform.CleanOptionsTrim),
	})
}

// JoinLines joins words with separator and lines with the chosen line break.
func JoinLines(lines [][]string, separator string, e gowasm_textkit_transform.LineEnding) string {
	return textkit.JoinLines(lines, separator, ending(e))
}

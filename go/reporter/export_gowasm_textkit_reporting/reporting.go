// Package export_gowasm_textkit_reporting implements the reporter world's `reporting` interface: each export is
// a few calls of the textkit interfaces it imports. Shipped composed with the textkit component, those calls never leave the component, but every
// argument and result still crosses between two Go heaps (this module's and textkit's), each placed by the
// receiving side's `cabi_realloc`.
package export_gowasm_textkit_reporting

import (
	witTypes "go.bytecodealliance.org/pkg/wit/types"
	"wit_component/gowasm_textkit_analyze"
	"wit_component/gowasm_textkit_reporting"
	"wit_component/gowasm_textkit_transform"
)

// Report implements `report`: counts, the most frequent words of the lowercased text, the longest word.
func Report(text string, top uint32) gowasm_textkit_reporting.Summary {
	lines, words, characters := gowasm_textkit_analyze.Counts(text)
	lowered := gowasm_textkit_transform.Clean(text, gowasm_textkit_transform.CleanOptionsLowercaseAscii)
	frequencies := gowasm_textkit_analyze.WordFrequencies(lowered)
	if uint32(len(frequencies)) > top {
		frequencies = frequencies[:top]
	}
	longest := witTypes.None[string]()
	if word := gowasm_textkit_analyze.LongestWord(text); word.IsSome() {
		longest = witTypes.Some(word.Some().Text)
	}
	return gowasm_textkit_reporting.Summary{Lines: lines, Words: words, Characters: characters, Top: frequencies, Longest: longest}
}

// LowerLines implements `lower-lines`: the words of each line of the text, lowercased and without punctuation.
func LowerLines(text string) [][]string {
	options := gowasm_textkit_transform.CleanOptionsLowercaseAscii | gowasm_textkit_transform.CleanOptionsStripPunctuation
	return gowasm_textkit_analyze.LineWords(gowasm_textkit_transform.Clean(text, options))
}

// Reflow implements `reflow`: the text's words, one space between them, its lines joined by `ending`.
func Reflow(text string, ending gowasm_textkit_transform.LineEnding) string {
	return gowasm_textkit_transform.JoinLines(gowasm_textkit_analyze.LineWords(text), " ", ending)
}

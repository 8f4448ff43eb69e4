// Package export_gowasm_textkit_analyze implements the exported `analyze` interface of the textkit world
// (wit/textkit.wit) by adapting package textkit's plain Go results to the generated WIT types.
package export_gowasm_textkit_analyze

import (
	witTypes "go.bytecodealliance.org/pkg/wit/types"

	"wit_component/gowasm_textkit_analyze"
	"wit_component/textkit"
)

func token(t textkit.Token) gowasm_textkit_analyze.Token {
	return gowasm_textkit_analyze.Token{Text: t.Text, Start: uint32(t.Start), End: uint32(t.End)}
}

// Tokenize returns every word of text with its byte offsets.
func Tokenize(text string) []gowasm_textkit_analyze.Token {
	tokens := textkit.Tokenize(text)
	out := make([]gowasm_textkit_analyze.Token, len(tokens))
	for i, t := range tokens {
		out[i] = token(t)
	}
	return out
}

// WordFrequencies counts each distinct word, most frequent first.
func WordFrequencies(text string) []gowasm_textkit_analyze.WordCount {
	counts := textkit.Frequencies(text)
	out := make([]gowasm_textkit_analyze.WordCount, len(counts))
	for i, c := range counts {
		out[i] = gowasm_textkit_analyze.WordCount{Word: c.Word, Count: uint32(c.Count)}
	}
	return out
}

// LineWords returns the words of each line.
func LineWords(text string) [][]string {
	return textkit.LineWords(text)
}

// Counts returns the numbers of lines, words and characters.
func Counts(text string) (uint32, uint32, uint32) {
	lines, words, chars := textkit.Counts(text)
	return uint32(lines), uint32(words), uint32(chars)
}

// LongestWord returns the word with the most characters, if any.
func LongestWord(text string) witTypes.Option[gowasm_textkit_analyze.Token] {
	if t, ok := textkit.LongestWord(text); ok {
		return witTypes.Some(token(t))
	}
	return witTypes.None[gowasm_textkit_analyze.Token]()
}

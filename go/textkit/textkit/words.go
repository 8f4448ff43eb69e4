// Package textkit is plain Go text processing: words with byte offsets, frequencies, lines, line endings,
// cleaning and a small configuration format. It knows nothing of WebAssembly; the export_* packages of this
// module adapt it to the textkit world (wit/textkit.wit, which defines every rule precisely).
package textkit

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// IsSpace reports whether r has the Unicode White_Space property.
func IsSpace(r rune) bool { return unicode.IsSpace(r) }

// IsASCIIPunct reports whether r is one of the 32 ASCII punctuation characters.
func IsASCIIPunct(r rune) bool {
	return r < utf8.RuneSelf && strings.ContainsRune("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", r)
}

// isWordRune reports whether r belongs to words: neither whitespace nor ASCII punctuation.
func isWordRune(r rune) bool { return !IsSpace(r) && !IsASCIIPunct(r) }

// Token is one word and its byte range [Start, End) in the text.
type Token struct {
	Text       string
	Start, End int
}

// Tokenize returns every word of text in order.
func Tokenize(text string) []Token {
	tokens := []Token{}
	start := -1
	for i, r := range text {
		switch {
		case isWordRune(r) && start < 0:
			start = i
		case !isWordRune(r) && start >= 0:
			tokens = append(tokens, Token{text[start:i], start, i})
			start = -1
		}
	}
	if start >= 0 {
		tokens = append(tokens, Token{text[start:], start, len(text)})
	}
	return tokens
}

// WordCount is a word and its number of occurrences.
type WordCount struct {
	Word  string
	Count int
}

// Frequencies counts each distinct word, most frequent first, ties in increasing byte order.
func Frequencies(text string) []WordCount {
	counts := map[string]int{}
	for _, t := range Tokenize(text) {
		counts[t.Text]++
	}
	out := make([]WordCount, 0, len(counts))
	for w, c := range counts {
		out = append(out, WordCount{w, c})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Word < out[j].Word
	})
	return out
}

// Lines splits text at line breaks (\r\n, \r, \n); a final line break does not start another line and the
// empty text has no lines.
func Lines(text string) []string {
	lines := []string{}
	start := 0
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			lines = append(lines, text[start:i])
			start = i + 1
		case '\r':
			lines = append(lines, text[start:i])
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(text) {
		lines = append(lines, text[start:])
	}
	return lines
}

// LineWords returns the words of each line.
func LineWords(text string) [][]string {
	lines := Lines(text)
	out := make([][]string, len(lines))
	for i, line := range lines {
		out[i] = []string{}
		for _, t := range Tokenize(line) {
			out[i] = append(out[i], t.Text)
		}
	}
	return out
}

// Counts returns the number of lines, words and characters of text.
func Counts(text string) (lines, words, chars int) {
	return len(Lines(text)), len(Tokenize(text)), utf8.RuneCountInString(text)
}

// LongestWord returns the word with the most characters (the first of equals); ok is false without words.
func LongestWord(text string) (longest Token, ok bool) {
	best := -1
	for _, t := range Tokenize(text) {
		if n := utf8.RuneCountInString(t.Text); n > best {
			longest, best, ok = t, n, true
		}
	}
	return longest, ok
}

// Package indexer is what the indexer plugin computes from the documents its host stores: digests, word counts
// and word indexes. It knows nothing of WIT or of the host; export_wit_world feeds it what the imports return.
package indexer

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Digest is the SHA-256 of value, lowercase hex.
func Digest(value []byte) string {
	sum := sha256.Sum256(value)
	return hex.EncodeToString(sum[:])
}

// isWordRune: ASCII letters and digits, and non-ASCII characters other than white space and U+FFFD (which is
// also what a byte that is not UTF-8 decodes to, so such bytes separate words).
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return r != utf8.RuneError && !unicode.IsSpace(r)
}

// Words splits text into its words, ASCII letters lowercased, in order. The words share one copy of the text
// (one allocation per call, not one per word: TinyGo's heap fragments under millions of tiny strings).
func Words(text []byte) []string {
	lowered := make([]byte, len(text))
	for i, b := range text {
		if 'A' <= b && b <= 'Z' {
			b += 'a' - 'A'
		}
		lowered[i] = b
	}
	all := string(lowered)
	var words []string
	wordSpans(text, func(start, end int) { words = append(words, all[start:end]) })
	return words
}

// CountWords is len(Words(text)) without building the words.
func CountWords(text []byte) uint32 {
	var count uint32
	wordSpans(text, func(int, int) { count++ })
	return count
}

// wordSpans calls found(start, end) for each word of text, in order: the one reading of the words rule.
func wordSpans(text []byte, found func(start, end int)) {
	start := -1
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if isWordRune(r) {
			if start < 0 {
				start = i
			}
		} else if start >= 0 {
			found(start, i)
			start = -1
		}
		i += size
	}
	if start >= 0 {
		found(start, len(text))
	}
}

// Index is the distinct words of text, sorted by byte and joined by "\n", and how many there are.
func Index(text []byte) (string, uint32) {
	words := Words(text)
	sort.Strings(words)
	distinct := words[:0]
	for i, w := range words {
		if i == 0 || w != words[i-1] {
			distinct = append(distinct, w)
		}
	}
	return strings.Join(distinct, "\n"), uint32(len(distinct))
}

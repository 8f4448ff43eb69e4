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

// Words splits text into its words, ASCII letters lowercased, in order.
func Words(text []byte) []string {
	var words []string
	var word strings.Builder
	flush := func() {
		if word.Len() > 0 {
			words = append(words, word.String())
			word.Reset()
		}
	}
	for len(text) > 0 {
		r, size := utf8.DecodeRune(text)
		if isWordRune(r) {
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			if size == 1 {
				word.WriteByte(byte(r))
			} else {
				word.Write(text[:size])
			}
		} else {
			flush()
		}
		text = text[size:]
	}
	flush()
	return words
}

// CountWords is len(Words(text)) without building the words.
func CountWords(text []byte) uint32 {
	var count uint32
	inWord := false
	for len(text) > 0 {
		r, size := utf8.DecodeRune(text)
		if isWordRune(r) {
			if !inWord {
				count++
			}
			inWord = true
		} else {
			inWord = false
		}
		text = text[size:]
	}
	return count
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

package textkit

import "strings"

// Line breaks a text can be normalized to.
const (
	LF   = "\n"
	CRLF = "\r\n"
	CR   = "\r"
)

// NormalizeLineEndings replaces every line break (\r\n, lone \r, lone \n) with ending.
func NormalizeLineEndings(text, ending string) string {
	var b strings.Builder
	b.Grow(len(text))
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\r':
			if i+1 < len(text) && text[i+1] == '\n' {
				i++
			}
			b.WriteString(ending)
		case '\n':
			b.WriteString(ending)
		default:
			b.WriteByte(text[i])
		}
	}
	return b.String()
}

// CleanOptions selects the steps of Clean; they run in the order of the fields.
type CleanOptions struct {
	StripPunctuation, LowercaseASCII, CollapseWhitespace, Trim bool
}

// Clean applies the selected steps to text.
func Clean(text string, o CleanOptions) string {
	if o.StripPunctuation {
		text = strings.Map(func(r rune) rune {
			if IsASCIIPunct(r) {
				return -1
			}
			return r
		}, text)
	}
	if o.LowercaseASCII {
		text = strings.Map(func(r rune) rune {
			if 'A' <= r && r <= 'Z' {
				return r + ('a' - 'A')
			}
			return r
		}, text)
	}
	if o.CollapseWhitespace {
		var b strings.Builder
		inSpace := false
		for _, r := range text {
			if IsSpace(r) {
				if !inSpace {
					b.WriteByte(' ')
				}
				inSpace = true
				continue
			}
			inSpace = false
			b.WriteRune(r)
		}
		text = b.String()
	}
	if o.Trim {
		text = strings.TrimFunc(text, IsSpace)
	}
	return text
}

// JoinLines joins each line's words with sep and the lines with ending (no trailing line break).
func JoinLines(lines [][]string, sep, ending string) string {
	joined := make([]string, len(lines))
	for i, words := range lines {
		joined[i] = strings.Join(words, sep)
	}
	return strings.Join(joined, ending)
}

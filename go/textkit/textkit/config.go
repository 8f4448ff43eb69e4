package textkit

import (
	"fmt"
	"strconv"
	"strings"
)

// ValueKind says which field of a Value is set.
type ValueKind int

// The kinds of values, typed by their text.
const (
	Boolean ValueKind = iota
	Integer
	Text
)

// Value is a typed configuration value.
type Value struct {
	Kind ValueKind
	Bool bool
	Int  int64
	Text string
}

// Entry is one `key = value` line and the section it is in (Section is "" with HasSection false before the
// first header).
type Entry struct {
	Section    string
	HasSection bool
	Key        string
	Value      Value
}

// ErrorKind names why a document is invalid.
type ErrorKind int

// The parse errors of the format.
const (
	MissingEquals ErrorKind = iota
	EmptyKey
	BadSection
	DuplicateKey
)

// ParseError is an invalid line: its kind, 1-based line number and, for DuplicateKey, the key.
type ParseError struct {
	Kind ErrorKind
	Line int
	Key  string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d: error kind %d %q", e.Line, e.Kind, e.Key)
}

// Parse reads a document of `[section]` headers and `key = value` lines (wit/textkit.wit, interface config).
func Parse(text string) ([]Entry, *ParseError) {
	entries := []Entry{}
	section, hasSection := "", false
	seen := map[string]bool{}
	for i, line := range Lines(text) {
		n := i + 1
		line = strings.TrimFunc(line, IsSpace)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
			continue
		case strings.HasPrefix(line, "["):
			if !strings.HasSuffix(line, "]") || len(line) < 2 {
				return nil, &ParseError{Kind: BadSection, Line: n}
			}
			name := strings.TrimFunc(line[1:len(line)-1], IsSpace)
			if name == "" {
				return nil, &ParseError{Kind: BadSection, Line: n}
			}
			section, hasSection = name, true
			seen = map[string]bool{}
			continue
		}
		key, value, found := strings.Cut(line, "=")
		if !found {
			return nil, &ParseError{Kind: MissingEquals, Line: n}
		}
		key = strings.TrimFunc(key, IsSpace)
		if key == "" {
			return nil, &ParseError{Kind: EmptyKey, Line: n}
		}
		if seen[key] {
			return nil, &ParseError{Kind: DuplicateKey, Line: n, Key: key}
		}
		seen[key] = true
		entries = append(entries, Entry{section, hasSection, key, typed(strings.TrimFunc(value, IsSpace))})
	}
	return entries, nil
}

// typed gives a value's text its type: a boolean, an integer that fits in 64 bits, or text.
func typed(s string) Value {
	switch s {
	case "true":
		return Value{Kind: Boolean, Bool: true}
	case "false":
		return Value{Kind: Boolean}
	}
	digits := strings.TrimPrefix(s, "-")
	if digits != "" && strings.Trim(digits, "0123456789") == "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return Value{Kind: Integer, Int: n}
		}
	}
	return Value{Kind: Text, Text: s}
}

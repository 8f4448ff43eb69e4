// Package canonjson re-encodes a JSON document in a canonical form.
//
// The rules (the Rust reference in xtask/src/check/hasher.rs implements the same ones):
//   - the input is one JSON value (RFC 8259) with optional surrounding whitespace, encoded as valid UTF-8;
//     anything else is an error carrying encoding/json's message;
//   - the output has no insignificant whitespace;
//   - object members are sorted by key, comparing the keys' UTF-8 bytes; of duplicate keys the last one wins;
//   - numbers are copied exactly as written (no float conversion, so no rounding and no reformatting);
//   - strings are written as UTF-8, escaping only '"', '\' and the control characters U+0000..U+001F
//     (\b \f \n \r \t, the others as \u00xx with lowercase hex); '<', '>', '&', U+2028 and U+2029 stay literal;
//   - documents nested deeper than MaxDepth arrays/objects are rejected before decoding (the decoder and the
//     writer recurse, and on wasm the recursion runs on the engine's bounded call stack: a trap is never the
//     answer to bad input);
//   - escapes in the input are decoded first, so "\u0041" becomes "A"; a lone surrogate escape such as
//     "\ud800" decodes to U+FFFD (encoding/json's rule; serde_json rejects such input instead).
package canonjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects Canonicalize accepts.
const MaxDepth = 1000

// Canonicalize parses data as a JSON document and returns its canonical encoding.
func Canonicalize(data []byte) ([]byte, error) {
	if !utf8.Valid(data) {
		return nil, fmt.Errorf("invalid UTF-8 at byte offset %d", invalidOffset(data))
	}
	if depth := nestingDepth(data); depth > MaxDepth {
		return nil, fmt.Errorf("exceeded max depth %d (document nests %d levels)", MaxDepth, depth)
	}
	// Unmarshal into a RawMessage only checks syntax, with encoding/json's usual messages (including
	// trailing data after the value); the decoder below then keeps numbers as written.
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.Grow(len(data))
	writeValue(&out, value)
	return out.Bytes(), nil
}

// nestingDepth returns the deepest nesting of '[' and '{' outside strings; it never fails (syntax is checked later).
func nestingDepth(data []byte) int {
	depth, max := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString && escaped:
			escaped = false
		case inString && c == '\\':
			escaped = true
		case inString && c == '"':
			inString = false
		case inString:
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			if depth > max {
				max = depth
			}
		case c == ']' || c == '}':
			if depth > 0 {
				depth--
			}
		}
	}
	return max
}

func invalidOffset(data []byte) int {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(data)
}

func writeValue(out *bytes.Buffer, value any) {
	switch v := value.(type) {
	case nil:
		out.WriteString("null")
	case bool:
		if v {
			out.WriteString("true")
		} else {
			out.WriteString("false")
		}
	case json.Number:
		out.WriteString(string(v))
	case string:
		writeString(out, v)
	case []any:
		out.WriteByte('[')
		for i, item := range v {
			if i > 0 {
				out.WriteByte(',')
			}
			writeValue(out, item)
		}
		out.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		out.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				out.WriteByte(',')
			}
			writeString(out, k)
			out.WriteByte(':')
			writeValue(out, v[k])
		}
		out.WriteByte('}')
	default:
		panic(fmt.Sprintf("canonjson: unexpected decoded type %T", value))
	}
}

const hexDigits = "0123456789abcdef"

func writeString(out *bytes.Buffer, s string) {
	out.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		out.WriteString(s[start:i])
		switch c {
		case '"':
			out.WriteString(`\"`)
		case '\\':
			out.WriteString(`\\`)
		case '\b':
			out.WriteString(`\b`)
		case '\f':
			out.WriteString(`\f`)
		case '\n':
			out.WriteString(`\n`)
		case '\r':
			out.WriteString(`\r`)
		case '\t':
			out.WriteString(`\t`)
		default:
			out.WriteString(`\u00`)
			out.WriteByte(hexDigits[c>>4])
			out.WriteByte(hexDigits[c&0xf])
		}
		start = i + 1
	}
	out.WriteString(s[start:])
	out.WriteByte('"')
}

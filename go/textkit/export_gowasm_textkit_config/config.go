// Package export_gowasm_textkit_config implements the exported `config` interface of the textkit world
// (wit/textkit.wit) on top of package textkit's parser.
package export_gowasm_textkit_config

import (
	witTypes "go.bytecodealliance.org/pkg/wit/types"

	"wit_component/gowasm_textkit_config"
	"wit_component/textkit"
)

type (
	entries = []gowasm_textkit_config.Entry
	result  = witTypes.Result[entries, gowasm_textkit_config.ParseError]
)

func value(v textkit.Value) gowasm_textkit_config.Value {
	switch v.Kind {
	case textkit.Boolean:
		return gowasm_textkit_config.MakeValueBoolean(v.Bool)
	case textkit.Integer:
		return gowasm_textkit_config.MakeValueInteger(v.Int)
	default:
		return gowasm_textkit_config.MakeValueText(v.Text)
	}
}

func parseError(e *textkit.ParseError) gowasm_textkit_config.ParseError {
	line := uint32(e.Line)
	switch e.Kind {
	case textkit.MissingEquals:
		return gowasm_textkit_config.MakeParseErrorMissingEquals(line)
	case textkit.EmptyKey:
		return gowasm_textkit_config.MakeParseErrorEmptyKey(line)
	case textkit.BadSection:
		return gowasm_textkit_config.MakeParseErrorBadSection(line)
	default:
		return gowasm_textkit_config.MakeParseErrorDuplicateKey(witTypes.Tuple2[uint32, string]{F0: line, F1: e.Key})
	}
}

// Parse reads a document of sections and `key = value` lines.
func Parse(text string) result {
	parsed, err := textkit.Parse(text)
	if err != nil {
		return witTypes.Err[entries](parseError(err))
	}
	out := make(entries, len(parsed))
	for i, e := range parsed {
		section := witTypes.None[string]()
		if e.HasSection {
			section = witTypes.Some(e.Section)
		}
		out[i] = gowasm_textkit_config.Entry{Section: section, Key: e.Key, Value: value(e.Value)}
	}
	return witTypes.Ok[entries, gowasm_textkit_config.ParseError](out)
}

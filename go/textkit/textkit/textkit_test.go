package textkit

import (
	"reflect"
	"testing"
)

func TestTokenize(t *testing.T) {
	got := Tokenize("  Grüße, мир! 東京\tx_y")
	want := []Token{{"Grüße", 2, 9}, {"мир", 11, 17}, {"東京", 19, 25}, {"x", 26, 27}, {"y", 28, 29}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := Tokenize(" \u00a0\u3000.,"); len(got) != 0 {
		t.Fatalf("whitespace and punctuation only: got %v", got)
	}
}

func TestFrequencies(t *testing.T) {
	got := Frequencies("b a b c a b é")
	want := []WordCount{{"b", 3}, {"a", 2}, {"c", 1}, {"é", 1}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestLinesAndCounts(t *testing.T) {
	if got, want := Lines("a\r\nb\rc\n\nd\n"), []string{"a", "b", "c", "", "d"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if got := Lines(""); len(got) != 0 {
		t.Fatalf("empty text: got %q", got)
	}
	if got, want := LineWords("one two\n\nthree"), [][]string{{"one", "two"}, {}, {"three"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if l, w, c := Counts("héllo wörld\n"); l != 1 || w != 2 || c != 12 {
		t.Fatalf("counts: %d %d %d", l, w, c)
	}
	if tok, ok := LongestWord("ab 日本語 xyz"); !ok || tok != (Token{"日本語", 3, 12}) {
		t.Fatalf("longest: %v %v", tok, ok)
	}
	if _, ok := LongestWord(" ... "); ok {
		t.Fatal("longest word of no words")
	}
}

func TestTransform(t *testing.T) {
	if got := NormalizeLineEndings("a\r\nb\rc\nd", CRLF); got != "a\r\nb\r\nc\r\nd" {
		t.Fatalf("got %q", got)
	}
	all := CleanOptions{true, true, true, true}
	if got := Clean("  Héllo,\t\tWORLD!  Ünï  ", all); got != "héllo world Ünï" {
		t.Fatalf("got %q", got)
	}
	if got := Clean(" A,B ", CleanOptions{}); got != " A,B " {
		t.Fatalf("no options changed the text: %q", got)
	}
	if got := JoinLines([][]string{{"a", "b"}, {}, {"c"}}, "-", LF); got != "a-b\n\nc" {
		t.Fatalf("got %q", got)
	}
}

func TestParse(t *testing.T) {
	got, err := Parse("# comment\nname = Zoë \n[server]\nport=8080\ndebug = false\nneg = -12\nbig = 99999999999999999999\n")
	if err != nil {
		t.Fatal(err)
	}
	want := []Entry{
		{"", false, "name", Value{Kind: Text, Text: "Zoë"}},
		{"server", true, "port", Value{Kind: Integer, Int: 8080}},
		{"server", true, "debug", Value{Kind: Boolean}},
		{"server", true, "neg", Value{Kind: Integer, Int: -12}},
		{"server", true, "big", Value{Kind: Text, Text: "99999999999999999999"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for text, want := range map[string]ParseError{
		"a = 1\nb":           {Kind: MissingEquals, Line: 2},
		" = 1":               {Kind: EmptyKey, Line: 1},
		"[x":                 {Kind: BadSection, Line: 1},
		"[ ]":                {Kind: BadSection, Line: 1},
		"a=1\n[s]\na=2\na=3": {Kind: DuplicateKey, Line: 4, Key: "a"},
	} {
		if _, err := Parse(text); err == nil || *err != want {
			t.Errorf("Parse(%q): got %v, want %v", text, err, want)
		}
	}
}

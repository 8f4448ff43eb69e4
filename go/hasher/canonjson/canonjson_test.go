package canonjson

import (
	"strings"
	"testing"
)

func TestCanonicalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[true,false,null]}`, `{"a":[true,false,null],"b":1}`},
		{" \n\t{ \"z\" : { \"y\" : 1 , \"x\" : 2 } } \r\n", `{"z":{"x":2,"y":1}}`},
		{`[1.000, -0, 1E400, 0.1e-7, 12345678901234567890123]`, `[1.000,-0,1E400,0.1e-7,12345678901234567890123]`},
		{`{"a":1,"a":2}`, `{"a":2}`},
		{`"<&>\u2028\u2029"`, "\"<&>\u2028\u2029\""},
		{`"\u0041\n\u0001\u001f\"\\\/"`, `"A\n\u0001\u001f\"\\/"`},
		{`"\b\f\r\t"`, `"\b\f\r\t"`},
		{`"\ud800"`, "\"\uFFFD\""},
		{`"\ud83d\ude00"`, "\"\U0001F600\""},
		{`{"é":1,"e":2,"z":3,"":0}`, `{"":0,"e":2,"z":3,"é":1}`},
		{`42`, `42`},
		{`[]`, `[]`},
		{`{}`, `{}`},
	}
	for _, c := range cases {
		got, err := Canonicalize([]byte(c.in))
		if err != nil {
			t.Errorf("Canonicalize(%q): unexpected error %v", c.in, err)
			continue
		}
		if string(got) != c.want {
			t.Errorf("Canonicalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestCanonicalizeRejects(t *testing.T) {
	cases := []struct{ in, wantErr string }{
		{``, "unexpected end of JSON input"},
		{`{"a":1`, "unexpected end of JSON input"},
		{`{"a":1} x`, "invalid character 'x' after top-level value"},
		{`[1,]`, "invalid character ']' looking for beginning of value"},
		{`01`, "invalid character '1' after top-level value"},
		{"\"\xff\"", "invalid UTF-8 at byte offset 1"},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), "exceeded max depth 1000"},
		{strings.Repeat(`{"a":[`, 50000), "exceeded max depth 1000"},
	}
	for _, c := range cases {
		_, err := Canonicalize([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("Canonicalize(%.40q): error %v, want one containing %q", c.in, err, c.wantErr)
		}
	}
}

func TestDeepNestingWithinTheLimit(t *testing.T) {
	in := strings.Repeat(`{"k":[`, MaxDepth/2) + `"[{"` + strings.Repeat("]}", MaxDepth/2)
	got, err := Canonicalize([]byte(in))
	if err != nil || string(got) != in {
		t.Fatalf("deep document not preserved: err=%v", err)
	}
}

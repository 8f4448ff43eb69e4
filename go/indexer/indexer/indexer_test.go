package indexer

import (
	"reflect"
	"testing"
)

func TestDigest(t *testing.T) {
	if got := Digest([]byte("abc")); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("Digest(abc) = %s", got)
	}
}

func TestWords(t *testing.T) {
	got := Words([]byte("Hello, wORLD! Grüße\u00a0мир x_y 42\xffz\xef\xbf\xbdq"))
	want := []string{"hello", "world", "grüße", "мир", "x", "y", "42", "z", "q"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if n := CountWords([]byte("Hello, wORLD! Grüße\u00a0мир x_y 42\xffz\xef\xbf\xbdq")); n != uint32(len(want)) {
		t.Fatalf("CountWords = %d, want %d", n, len(want))
	}
	if got := Words([]byte(" \t.,\n")); len(got) != 0 {
		t.Fatalf("no words: got %q", got)
	}
}

func TestIndex(t *testing.T) {
	text, n := Index([]byte("b A a c B b"))
	if text != "a\nb\nc" || n != 3 {
		t.Fatalf("Index = %q, %d", text, n)
	}
	if text, n := Index(nil); text != "" || n != 0 {
		t.Fatalf("Index(nil) = %q, %d", text, n)
	}
}

// Package export_gowasm_indexer_search implements the exported `search` interface of `indexer`
// (wit/indexer.wit): the word-index resource, which lives in the plugin's memory between calls and reads its
// documents through the host's store cursor (an imported resource).
package export_gowasm_indexer_search

import (
	"sort"

	witRuntime "go.bytecodealliance.org/pkg/wit/runtime"
	"wit_component/gowasm_indexer_store"
	"wit_component/indexer"
)

// WordIndex is the `word-index` resource: word → the keys of the documents holding it, and each indexed
// document's words (so indexing a document again replaces them). handle and pinner belong to the generated glue.
type WordIndex struct {
	handle int32
	pinner witRuntime.Pinner
	words  map[string]map[string]struct{}
	docs   map[string][]string
}

// MakeWordIndex implements the constructor: an empty index.
func MakeWordIndex() *WordIndex {
	return &WordIndex{words: map[string]map[string]struct{}{}, docs: map[string][]string{}}
}

// AddPrefix implements `add-prefix`: every document under prefix, read through a store cursor batch entries at a
// time (the cursor is dropped before returning).
func (w *WordIndex) AddPrefix(prefix string, batch uint32) uint32 {
	cursor := gowasm_indexer_store.Scan(prefix)
	defer cursor.Drop()
	var read uint32
	for {
		entries := cursor.Next(batch)
		if len(entries) == 0 {
			return read
		}
		for _, e := range entries {
			w.add(e.Key, indexer.Words(e.Value))
			read++
		}
	}
}

// add replaces the words of the document under key.
func (w *WordIndex) add(key string, words []string) {
	w.remove(key)
	distinct := make([]string, 0, len(words))
	for _, word := range words {
		keys, ok := w.words[word]
		if !ok {
			keys = map[string]struct{}{}
			w.words[word] = keys
		}
		if _, seen := keys[key]; !seen {
			keys[key] = struct{}{}
			distinct = append(distinct, word)
		}
	}
	w.docs[key] = distinct
}

// remove forgets the document under key.
func (w *WordIndex) remove(key string) {
	for _, word := range w.docs[key] {
		delete(w.words[word], key)
		if len(w.words[word]) == 0 {
			delete(w.words, word)
		}
	}
	delete(w.docs, key)
}

// Lookup implements `lookup`: the keys holding word (ASCII letters lowercased), sorted.
func (w *WordIndex) Lookup(word string) []string {
	lowered := []byte(word)
	for i, b := range lowered {
		if 'A' <= b && b <= 'Z' {
			lowered[i] = b + 'a' - 'A'
		}
	}
	keys := make([]string, 0, len(w.words[string(lowered)]))
	for key := range w.words[string(lowered)] {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	return keys
}

// Size implements `size`: the number of distinct words.
func (w *WordIndex) Size() uint32 {
	return uint32(len(w.words))
}

// WordIndexMerge implements the static `merge`: a new index with the documents of a, then b (b's words win for a
// document both hold).
func WordIndexMerge(a *WordIndex, b *WordIndex) *WordIndex {
	merged := MakeWordIndex()
	merged.absorbDocs(a)
	merged.absorbDocs(b)
	return merged
}

// Absorb implements `absorb`: other's documents move into w, and other (owned by the call) is dropped.
func (w *WordIndex) Absorb(other *WordIndex) {
	w.absorbDocs(other)
	other.Drop()
}

func (w *WordIndex) absorbDocs(other *WordIndex) {
	keys := make([]string, 0, len(other.docs))
	for key := range other.docs {
		keys = append(keys, key)
	}
	sort.Strings(keys)
	for _, key := range keys {
		w.add(key, other.docs[key])
	}
}

// OnDrop releases the index's memory when the host drops its handle (the glue may call it twice).
func (w *WordIndex) OnDrop() {
	clear(w.words)
	clear(w.docs)
	w.words = nil
	w.docs = nil
}

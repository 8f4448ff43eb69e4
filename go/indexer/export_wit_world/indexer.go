// Package export_wit_world implements the world-level exports of `indexer` (wit/indexer.wit): every document
// comes from the host's store (the `store` import) and every report goes to the host's log (the `log` import);
// package indexer does the computing.
package export_wit_world

import (
	"fmt"

	witTypes "go.bytecodealliance.org/pkg/wit/types"
	"wit_component/gowasm_indexer_log"
	"wit_component/gowasm_indexer_store"
	"wit_component/indexer"
	"wit_component/wit_world"
)

// Digest implements `digest`: the SHA-256 of the document under key.
func Digest(key string) witTypes.Option[string] {
	value := gowasm_indexer_store.Get(key)
	if value.IsNone() {
		return witTypes.None[string]()
	}
	return witTypes.Some(indexer.Digest(value.Some()))
}

// Summarize implements `summarize`: one summary per document under prefix, from one `entries` call.
func Summarize(prefix string) []wit_world.Summary {
	entries := gowasm_indexer_store.Entries(prefix)
	out := make([]wit_world.Summary, 0, len(entries))
	for _, e := range entries {
		out = append(out, wit_world.Summary{
			Key:    e.Key,
			Bytes:  uint64(len(e.Value)),
			Sha256: indexer.Digest(e.Value),
			Words:  indexer.CountWords(e.Value),
		})
	}
	gowasm_indexer_log.Write(gowasm_indexer_log.LevelInfo, fmt.Sprintf("summarized %d documents under %q", len(out), prefix))
	return out
}

// IndexWords implements `index-words`: the distinct words of source, written to target.
func IndexWords(source string, target string) witTypes.Result[uint32, string] {
	value := gowasm_indexer_store.Get(source)
	if value.IsNone() {
		return witTypes.Err[uint32](fmt.Sprintf("no document under %q", source))
	}
	text, count := indexer.Index(value.Some())
	if put := gowasm_indexer_store.Put(target, []byte(text)); put.IsErr() {
		return witTypes.Err[uint32](fmt.Sprintf("the store refused %q: %s", target, put.Err()))
	}
	gowasm_indexer_log.Write(gowasm_indexer_log.LevelDebug, fmt.Sprintf("indexed %d words of %q into %q", count, source, target))
	return witTypes.Ok[uint32, string](count)
}

// ListKeys implements `list-keys`: one `keys` call per prefix.
func ListKeys(prefixes []string) [][]string {
	out := make([][]string, 0, len(prefixes))
	for _, p := range prefixes {
		out = append(out, gowasm_indexer_store.Keys(p))
	}
	return out
}

// TotalBytes implements `total-bytes`: the size of every document, from one `entries` call.
func TotalBytes() uint64 {
	var total uint64
	for _, e := range gowasm_indexer_store.Entries("") {
		total += uint64(len(e.Value))
	}
	return total
}

package source

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	yamlv3 "go.yaml.in/yaml/v3"
	"sigs.k8s.io/yaml"
)

// maxAliasExpansion bounds how many bytes YAML aliases may add to one load,
// over all its documents. Anchors and aliases let a few bytes stand for
// many: a 1 MB file aliasing one large scalar a thousand times expands to
// gigabytes, and the reference decoder's own guard counts nodes, not bytes.
// Manifests use aliases to share a few lines of env or labels; 64 MiB is far
// above that and far below what hurts.
const maxAliasExpansion = 64 << 20

// referenceYAMLToJSON converts one YAML document (or a List item) to JSON with
// the reference decoder, sigs.k8s.io/yaml, strict about duplicate keys.
// Two things differ from calling it directly. What aliases add is measured
// first and taken from room, the load's allowance; a document that needs
// more is refused. And a key that overrides one merged in by "<<", which
// kubectl accepts, is accepted: only a key written twice is a duplicate.
func referenceYAMLToJSON(body []byte, room *atomic.Int64) ([]byte, error) {
	if bytes.IndexByte(body, '*') >= 0 {
		if err := takeAliasRoom(body, room); err != nil {
			return nil, err
		}
	}
	js, err := yaml.YAMLToJSONStrict(body)
	if err != nil && strings.Contains(err.Error(), "already set in map") && bytes.Contains(body, []byte("<<")) {
		if dup := writtenTwice(body); dup != nil {
			return nil, dup
		}
		// The only duplicates are overrides of merged keys: read the
		// document as kubectl does, the written key winning.
		return yaml.YAMLToJSON(body)
	}
	return js, err
}

// takeAliasRoom measures how large body becomes once its aliases are
// expanded and takes what they add from room.
func takeAliasRoom(body []byte, room *atomic.Int64) error {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(body, &doc); err != nil {
		if !hasAlias(body) {
			return nil // the reference decoder reports the syntax error
		}
		// A document whose aliases cannot be measured must not reach a
		// decoder that expands them; this parser's message reads as the
		// reference's.
		return err
	}
	written := writtenSize(&doc)
	size, err := expandedSize(&doc, map[*yamlv3.Node]int64{}, written+max(room.Load(), 0))
	if err != nil {
		return err
	}
	added := size - written
	if added <= 0 {
		return nil
	}
	if room.Add(-added) < 0 {
		return fmt.Errorf("YAML aliases expand this document past the %s that aliases may add to one input: write the repeated values out, or split the document", mib(maxAliasExpansion))
	}
	return nil
}

// hasAlias reports whether body may hold an alias: a "*" that starts a
// token.
func hasAlias(body []byte) bool {
	for i := bytes.IndexByte(body, '*'); i >= 0; {
		if i == 0 || strings.IndexByte(" \t\n\r[{,:-", body[i-1]) >= 0 {
			return true
		}
		j := bytes.IndexByte(body[i+1:], '*')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

var errRecursiveAlias = errors.New("a YAML alias refers to the node that contains it")

// expandedSize is about how many bytes of JSON n becomes with its aliases
// expanded, counting each alias as a copy of its anchor's node. It stops
// counting past limit.
func expandedSize(n *yamlv3.Node, sizes map[*yamlv3.Node]int64, limit int64) (int64, error) {
	if s, ok := sizes[n]; ok {
		if s < 0 {
			return 0, errRecursiveAlias
		}
		return s, nil
	}
	var size int64
	switch n.Kind {
	case yamlv3.AliasNode:
		if n.Alias == nil {
			return 0, nil
		}
		sizes[n] = -1
		s, err := expandedSize(n.Alias, sizes, limit)
		if err != nil {
			return 0, err
		}
		size = s
	case yamlv3.ScalarNode:
		size = int64(len(n.Value)) + 2
	default:
		sizes[n] = -1
		size = 2
		for _, c := range n.Content {
			s, err := expandedSize(c, sizes, limit)
			if err != nil {
				return 0, err
			}
			size += s + 1
			if size > limit {
				size = limit + 1
				break
			}
		}
	}
	size = min(size, limit+1)
	sizes[n] = size
	return size, nil
}

// writtenSize is what expandedSize counts for n with each alias counted as
// written, not expanded.
func writtenSize(n *yamlv3.Node) int64 {
	switch n.Kind {
	case yamlv3.AliasNode:
		return int64(len(n.Value)) + 2
	case yamlv3.ScalarNode:
		return int64(len(n.Value)) + 2
	}
	size := int64(2)
	for _, c := range n.Content {
		size += writtenSize(c) + 1
	}
	return size
}

// writtenTwice finds a key written twice in one mapping of body, ignoring
// keys merged in with "<<", and returns it as the reference decoder words
// a duplicate.
func writtenTwice(body []byte) error {
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(body, &doc); err != nil {
		return nil
	}
	var walk func(n *yamlv3.Node, seen map[*yamlv3.Node]bool) error
	walk = func(n *yamlv3.Node, seen map[*yamlv3.Node]bool) error {
		if n == nil || seen[n] {
			return nil
		}
		seen[n] = true
		if n.Kind == yamlv3.MappingNode {
			keys := map[string]bool{}
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yamlv3.ScalarNode || k.Tag == "!!merge" || k.Value == "<<" {
					continue
				}
				if keys[k.Value] {
					return fmt.Errorf("yaml: unmarshal errors:\n  line %d: key %q already set in map", k.Line, k.Value)
				}
				keys[k.Value] = true
			}
		}
		for _, c := range n.Content {
			if err := walk(c, seen); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(&doc, map[*yamlv3.Node]bool{})
}

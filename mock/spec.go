package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"

	"github.com/galeno-health/galeno/gen"
)

// document is a loaded contract: kin-openapi's model, plus the raw YAML tree of a spec file, which
// keeps the author's order of example names and object keys (kin-openapi decodes both into maps).
type document struct {
	api    *openapi3.T
	tree   *yaml.Node // nil for the embedded contract, whose JSON is already sorted by key
	source string

	// For a spec file: the file as written, and the same document as JSON (for /openapi.*).
	text, json []byte
}

// embeddedSource names the contract compiled into the binary in logs and messages.
const embeddedSource = "embedded contract"

func loadEmbedded() (*document, error) {
	api, err := gen.GetSpec()
	if err != nil {
		return nil, fmt.Errorf("mock: load %s: %w", embeddedSource, err)
	}
	return &document{api: api, source: embeddedSource}, nil
}

func loadFile(path string) (*document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mock: read spec: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("mock: read spec: %w", err)
	}
	doc := &document{source: path, text: data}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fmt.Errorf("mock: parse %s: %w", path, err)
	}
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		doc.tree = root.Content[0]
		// kin-openapi reads JSON much faster than YAML; the tree is parsed already anyway.
		if asJSON, err := nodeJSON(doc.tree); err == nil {
			data, doc.json = asJSON, asJSON
		}
	}
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	loader.Context = context.Background()
	doc.api, err = loader.LoadFromDataWithPath(data, &url.URL{Path: filepath.ToSlash(abs)})
	if err != nil {
		return nil, fmt.Errorf("mock: parse %s: %w", path, err)
	}
	if doc.json == nil {
		if doc.json, err = json.Marshal(doc.api); err != nil {
			return nil, fmt.Errorf("mock: %s as JSON: %w", path, err)
		}
	}
	return doc, nil
}

// node follows keys from n through the raw tree, resolving local $refs on the way; nil when the
// tree is unknown or the path leads elsewhere (an external $ref, say).
func (d *document) node(n *yaml.Node, keys ...string) *yaml.Node {
	if d.tree == nil {
		return nil
	}
	if n == nil {
		n = d.tree
	}
	n = d.resolve(n)
	for _, key := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		n = d.resolve(mappingValue(n, key))
	}
	return n
}

// resolve follows aliases and local `$ref`s until it reaches a node that is neither.
func (d *document) resolve(n *yaml.Node) *yaml.Node {
	for range 32 {
		switch {
		case n == nil:
			return nil
		case n.Kind == yaml.AliasNode:
			n = n.Alias
		case n.Kind == yaml.MappingNode:
			ref := mappingValue(n, "$ref")
			if ref == nil {
				return n
			}
			if !strings.HasPrefix(ref.Value, "#/") {
				return nil
			}
			n = d.tree
			for _, token := range strings.Split(ref.Value[2:], "/") {
				token = strings.ReplaceAll(strings.ReplaceAll(token, "~1", "/"), "~0", "~")
				if n = mappingValue(n, token); n == nil {
					return nil
				}
			}
		default:
			return n
		}
	}
	return nil
}

func mappingValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

// nodeJSON encodes a YAML value as JSON, keeping the order of its keys.
func nodeJSON(n *yaml.Node) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeNodeJSON(&buf, n, 0); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var errUnsupportedYAML = errors.New("unsupported YAML construct")

func writeNodeJSON(buf *bytes.Buffer, n *yaml.Node, depth int) error {
	if depth > 64 {
		return errUnsupportedYAML
	}
	switch n.Kind {
	case yaml.AliasNode:
		return writeNodeJSON(buf, n.Alias, depth+1)
	case yaml.MappingNode:
		buf.WriteByte('{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i]
			if key.Tag == "!!merge" || key.Kind != yaml.ScalarNode {
				return errUnsupportedYAML
			}
			if i > 0 {
				buf.WriteByte(',')
			}
			buf.Write(marshalJSON(key.Value))
			buf.WriteByte(':')
			if err := writeNodeJSON(buf, n.Content[i+1], depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case yaml.SequenceNode:
		buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeNodeJSON(buf, item, depth+1); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			buf.WriteString("null")
		case "!!bool", "!!int", "!!float":
			var v any
			if err := n.Decode(&v); err != nil {
				return err
			}
			b, err := json.Marshal(v)
			if err != nil {
				return err
			}
			buf.Write(b)
		default:
			buf.Write(marshalJSON(n.Value))
		}
	default:
		return errUnsupportedYAML
	}
	return nil
}

// marshalJSON encodes v without escaping <, > and &, which example texts use (`<key>`).
func marshalJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return []byte("null")
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// normalized returns v as encoding/json would decode it, so values from YAML and JSON compare equal.
func normalized(v any) (any, error) {
	var out any
	err := json.Unmarshal(marshalJSON(v), &out)
	return out, err
}

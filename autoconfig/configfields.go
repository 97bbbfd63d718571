package autoconfig

import (
	"fmt"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"
)

// fieldWalker walks a file's YAML tree beside the raw types it decodes into.
// It finds every unknown key with its field path (the decoder's strict mode
// stops at the first and names no path), and records which field each line
// holds, so that the decoder's type errors can name their field too.
type fieldWalker struct {
	file    string
	unknown ConfigErrors
	// lines maps a line to the field path of the value on it; "" when
	// several values share the line (flow style) and it is ambiguous.
	lines map[int]string
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (w *fieldWalker) walk(n *yaml.Node, t reflect.Type, path string) {
	// Aliases are not followed: the anchored node is walked where it is
	// written, and following them could multiply the work (alias bombs).
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) > 0 {
			w.walk(n.Content[0], t, path)
		}
		return
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		w.at(n.Line, path)
		return
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		w.mapping(n, t, path)
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			w.walk(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value))
		}
	}
}

// mapping checks each key of n against the yaml tags of struct type t.
func (w *fieldWalker) mapping(n *yaml.Node, t reflect.Type, path string) {
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.Tag == "!!merge" {
			continue
		}
		field, ok := fieldByTag(t, key.Value)
		if !ok {
			w.unknown = append(w.unknown, ConfigError{File: w.file, Line: key.Line, Field: join(path, key.Value), Msg: "unknown field"})
			continue
		}
		w.walk(value, field.Type, join(path, key.Value))
	}
}

func (w *fieldWalker) at(line int, path string) {
	if old, seen := w.lines[line]; seen && old != path {
		path = ""
	}
	w.lines[line] = path
}

// fieldByTag is the field of struct type t whose yaml tag names key.
func fieldByTag(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if name, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); name == key && name != "-" {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// Package xmlread holds what the readers of the XML formats
// (thunderbird.Read, autodiscover.ReadResponse) share: opening a document
// down a path of elements, and reading an element's text.
package xmlread

import (
	"fmt"
	"strings"

	"github.com/beevik/etree"
)

// Open parses body and returns the elements along path from the root,
// root first (e.g. "clientConfig", "emailProvider"); what names the
// document in errors ("document", "response"). Namespaces are the
// caller's to check.
func Open(body []byte, what string, path ...string) ([]*etree.Element, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(body); err != nil {
		return nil, fmt.Errorf("the %s is not XML: %v", what, err)
	}
	out := make([]*etree.Element, 0, len(path))
	parent := &doc.Element
	for _, tag := range path {
		el := parent.SelectElement(tag)
		if el == nil {
			return nil, fmt.Errorf("the %s has no %s element", what, tag)
		}
		out = append(out, el)
		parent = el
	}
	return out, nil
}

// ChildText is the trimmed text of el's first child named tag, or "".
func ChildText(el *etree.Element, tag string) string {
	if c := el.SelectElement(tag); c != nil {
		return strings.TrimSpace(c.Text())
	}
	return ""
}

package testkit

import (
	"fmt"
	"strings"
)

// BigConfig is a configuration with one provider listing n domains,
// customer0.example to customer<n-1>.example: what a hosting provider's
// file looks like, for scale tests and the load harness.
func BigConfig(n int) string {
	var b strings.Builder
	b.Grow(n*28 + 300)
	b.WriteString("providers:\n  - id: example.com\n    display_name: Example\n    domains:\n")
	for i := range n {
		fmt.Fprintf(&b, "      - customer%d.example\n", i)
	}
	b.WriteString(`    incoming:
      - protocol: imap
        host: imap.example.com
        port: 993
        security: tls
    outgoing:
      - protocol: smtp
        host: smtp.example.com
        port: 587
        security: starttls
`)
	return b.String()
}

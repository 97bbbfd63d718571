package autoconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The Content-Types accepted without parsing are ones the parser accepts.
func TestCommonAutodiscoverTypesParse(t *testing.T) {
	for _, ct := range commonAutodiscoverTypes {
		assert.True(t, parsedAutodiscoverTypeOK(ct), ct)
	}
	for _, ct := range []string{"text/html", "text/xml; charset=latin1", "text/xml; charset="} {
		assert.False(t, acceptableAutodiscoverType(ct), ct)
	}
}

package autodiscover

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The Content-Types accepted without parsing are ones the parser accepts.
func TestCommonAutodiscoverTypesParse(t *testing.T) {
	for _, ct := range commonTypes {
		assert.True(t, parsedTypeOK(ct), ct)
	}
	for _, ct := range []string{"text/html", "text/xml; charset=latin1", "text/xml; charset="} {
		assert.False(t, acceptableType(ct), ct)
	}
}

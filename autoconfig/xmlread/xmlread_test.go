package xmlread_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mailautoconf/mailautoconf/autoconfig/xmlread"
)

func TestOpen(t *testing.T) {
	els, err := xmlread.Open([]byte(`<a><b><c> text </c></b></a>`), "document", "a", "b")
	require.NoError(t, err)
	require.Len(t, els, 2)
	assert.Equal(t, "b", els[1].Tag)
	assert.Equal(t, "text", xmlread.ChildText(els[1], "c"))
	assert.Empty(t, xmlread.ChildText(els[1], "d"))

	_, err = xmlread.Open([]byte(`<a><x/></a>`), "response", "a", "b")
	assert.EqualError(t, err, "the response has no b element")
	_, err = xmlread.Open([]byte(`<a><b></a>`), "document", "a")
	assert.ErrorContains(t, err, "the document is not XML")
}

package autoconfig

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseDAVURL(t *testing.T) {
	tests := []struct {
		url     string
		want    DAVEndpoint
		wantErr bool
	}{
		{"https://dav.example.net/caldav/", DAVEndpoint{"dav.example.net", 443, true, "https://dav.example.net/caldav/"}, false},
		{"http://dav.example.net/", DAVEndpoint{"dav.example.net", 80, false, "http://dav.example.net/"}, false},
		{"https://DAV.Example.net:8443/x", DAVEndpoint{"dav.example.net", 8443, true, "https://DAV.Example.net:8443/x"}, false},
		{"https://dav.bücher.example/", DAVEndpoint{"dav.xn--bcher-kva.example", 443, true, "https://dav.b%C3%BCcher.example/"}, false},
		{"ftp://dav.example.net/", DAVEndpoint{}, true},
		{"/relative", DAVEndpoint{}, true},
		{"https://dav.example.net:0/", DAVEndpoint{}, true},
	}
	for _, tc := range tests {
		t.Run(tc.url, func(t *testing.T) {
			got, err := ParseDAVURL(tc.url)
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

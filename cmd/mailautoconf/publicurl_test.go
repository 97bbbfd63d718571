package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPhoneUnreachable(t *testing.T) {
	for listen, warns := range map[string]bool{
		":8080":                   true,
		"127.0.0.1:8080":          true,
		"[::1]:8443":              true,
		"localhost:8080":          true,
		"0.0.0.0:443":             true,
		"[::]:443":                true,
		"192.0.2.10:443":          true,
		"autoconfig.example:8443": false,
	} {
		assert.Equal(t, warns, phoneUnreachable(listen) != "", listen)
	}
}

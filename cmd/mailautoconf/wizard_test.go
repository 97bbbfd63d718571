package main

import (
	"io"
	"log/slog"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/testkit"
)

func TestEngine_MountsWizardAndHelpdesk(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	store := autoconfig.NewStore(autoconfig.Default())
	serve := func(e http.Handler, target string) int {
		rec := testkit.Get(e, target)
		return rec.Code
	}

	without := newEngine(site{store: store, logger: logger})
	assert.Equal(t, http.StatusOK, serve(without, "/"))
	assert.Equal(t, http.StatusOK, serve(without, "/setup/thunderbird?email=jane@example.ch"))
	assert.Equal(t, http.StatusNotFound, serve(without, "/helpdesk"), "no token: no helpdesk")

	with := newEngine(site{store: store, logger: logger, helpdeskToken: "0123456789abcdef"})
	assert.Equal(t, http.StatusUnauthorized, serve(with, "/helpdesk"))
}

func TestServe_RefusesShortHelpdeskToken(t *testing.T) {
	err := runServe([]string{"--helpdesk-token", "short", "--listen", "127.0.0.1:0"}, io.Discard, io.Discard)
	assert.ErrorContains(t, err, "at least 16 characters")
}

// Package profiles generates Apple configuration profiles (.mobileconfig)
// for iOS, iPadOS and macOS Mail from the settings model, and signs them.
package profiles

// DownloadPath is where a profile is served (?email=ADDR[&name=…][&include=…]);
// AliasPath is the path other autoconfig services use for the same thing.
const (
	DownloadPath = "/apple/mail.mobileconfig"
	AliasPath    = "/email.mobileconfig"
)

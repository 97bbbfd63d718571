package autodiscover

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/mailautoconf/mailautoconf/autoconfig"
)

// POXResponse is a POX response read back, in the document's own
// vocabulary: what Response writes, and what the checker reads from a
// domain's live answer.
type POXResponse struct {
	// Namespace is the Autodiscover element's, ResponseNamespace the
	// Response element's: Outlook reads nothing unless they are ResponseNS
	// and OutlookNS.
	Namespace, ResponseNamespace string
	User                         struct {
		DisplayName             string
		AutoDiscoverSMTPAddress string
	}
	Account struct {
		AccountType string
		Action      string
		Protocol    []POXProtocol
	}
}

// POXProtocol is one Protocol element as written.
type POXProtocol struct {
	Type           string
	Server         string
	Port           int // 0 when absent or not a number
	LoginName      string
	DomainRequired string
	SPA            string
	SSL            string
	Encryption     string
	AuthRequired   string
	UsePOPAuth     string
	SMTPLast       string
	// Children is the element order.
	Children []string
}

// Security is the model's security as Outlook reads the Protocol, the
// inverse of Encryption: Encryption overrides SSL, SSL is implicit TLS,
// TLS is STARTTLS. ok is false for an Encryption Outlook does not know
// (Auto: the client chooses).
func (p POXProtocol) Security() (sec autoconfig.Security, ok bool) {
	switch strings.ToLower(p.Encryption) {
	case "ssl":
		return autoconfig.SecurityTLS, true
	case "tls":
		return autoconfig.SecuritySTARTTLS, true
	case "none":
		return autoconfig.SecurityNone, true
	case "":
		if strings.EqualFold(p.SSL, "off") {
			return autoconfig.SecurityNone, true
		}
		return autoconfig.SecurityTLS, true
	}
	return "", false
}

// POXError is a POX Error document read back (ErrorDocument's inverse).
type POXError struct {
	Namespace string
	Time, ID  string
	ErrorCode int
	Message   string
	DebugData string
}

func (e *POXError) Error() string {
	return fmt.Sprintf("the response is an error: %d %s", e.ErrorCode, e.Message)
}

// ReadResponse reads a POX response: the inverse of Response and
// ErrorDocument. An Error document is returned as a *POXError.
func ReadResponse(body []byte) (POXResponse, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(body); err != nil {
		return POXResponse{}, fmt.Errorf("the response is not XML: %v", err)
	}
	root := doc.SelectElement("Autodiscover")
	if root == nil {
		return POXResponse{}, errors.New("the response has no Autodiscover element")
	}
	resp := root.SelectElement("Response")
	if resp == nil {
		return POXResponse{}, errors.New("the response has no Response element")
	}
	if el := resp.SelectElement("Error"); el != nil {
		return POXResponse{}, readError(root, el)
	}
	r := POXResponse{Namespace: root.NamespaceURI(), ResponseNamespace: resp.NamespaceURI()}
	if user := resp.SelectElement("User"); user != nil {
		r.User.DisplayName = childText(user, "DisplayName")
		r.User.AutoDiscoverSMTPAddress = childText(user, "AutoDiscoverSMTPAddress")
	}
	if acct := resp.SelectElement("Account"); acct != nil {
		r.Account.AccountType = childText(acct, "AccountType")
		r.Account.Action = childText(acct, "Action")
		for _, el := range acct.SelectElements("Protocol") {
			r.Account.Protocol = append(r.Account.Protocol, readProtocol(el))
		}
	}
	return r, nil
}

func readProtocol(el *etree.Element) POXProtocol {
	port, _ := strconv.Atoi(childText(el, "Port"))
	p := POXProtocol{
		Type: childText(el, "Type"), Server: childText(el, "Server"), Port: port,
		LoginName: childText(el, "LoginName"), DomainRequired: childText(el, "DomainRequired"),
		SPA: childText(el, "SPA"), SSL: childText(el, "SSL"), Encryption: childText(el, "Encryption"),
		AuthRequired: childText(el, "AuthRequired"), UsePOPAuth: childText(el, "UsePOPAuth"),
		SMTPLast: childText(el, "SMTPLast"),
	}
	for _, c := range el.ChildElements() {
		p.Children = append(p.Children, c.Tag)
	}
	return p
}

func readError(root, el *etree.Element) *POXError {
	code, _ := strconv.Atoi(childText(el, "ErrorCode"))
	return &POXError{
		Namespace: root.NamespaceURI(),
		Time:      el.SelectAttrValue("Time", ""),
		ID:        el.SelectAttrValue("Id", ""),
		ErrorCode: code,
		Message:   childText(el, "Message"),
		DebugData: childText(el, "DebugData"),
	}
}

func childText(el *etree.Element, tag string) string {
	if c := el.SelectElement(tag); c != nil {
		return strings.TrimSpace(c.Text())
	}
	return ""
}

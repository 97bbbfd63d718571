package autodiscover

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/beevik/etree"

	"github.com/mailautoconf/mailautoconf/autoconfig"
	"github.com/mailautoconf/mailautoconf/autoconfig/xmlread"
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
	els, err := xmlread.Open(body, "response", "Autodiscover", "Response")
	if err != nil {
		return POXResponse{}, err
	}
	root, resp := els[0], els[1]
	if el := resp.SelectElement("Error"); el != nil {
		return POXResponse{}, readError(root, el)
	}
	r := POXResponse{Namespace: root.NamespaceURI(), ResponseNamespace: resp.NamespaceURI()}
	if user := resp.SelectElement("User"); user != nil {
		r.User.DisplayName = xmlread.ChildText(user, "DisplayName")
		r.User.AutoDiscoverSMTPAddress = xmlread.ChildText(user, "AutoDiscoverSMTPAddress")
	}
	if acct := resp.SelectElement("Account"); acct != nil {
		r.Account.AccountType = xmlread.ChildText(acct, "AccountType")
		r.Account.Action = xmlread.ChildText(acct, "Action")
		for _, el := range acct.SelectElements("Protocol") {
			r.Account.Protocol = append(r.Account.Protocol, readProtocol(el))
		}
	}
	return r, nil
}

func readProtocol(el *etree.Element) POXProtocol {
	port, _ := strconv.Atoi(xmlread.ChildText(el, "Port"))
	p := POXProtocol{
		Type: xmlread.ChildText(el, "Type"), Server: xmlread.ChildText(el, "Server"), Port: port,
		LoginName: xmlread.ChildText(el, "LoginName"), DomainRequired: xmlread.ChildText(el, "DomainRequired"),
		SPA: xmlread.ChildText(el, "SPA"), SSL: xmlread.ChildText(el, "SSL"), Encryption: xmlread.ChildText(el, "Encryption"),
		AuthRequired: xmlread.ChildText(el, "AuthRequired"), UsePOPAuth: xmlread.ChildText(el, "UsePOPAuth"),
		SMTPLast: xmlread.ChildText(el, "SMTPLast"),
	}
	for _, c := range el.ChildElements() {
		p.Children = append(p.Children, c.Tag)
	}
	return p
}

func readError(root, el *etree.Element) *POXError {
	code, _ := strconv.Atoi(xmlread.ChildText(el, "ErrorCode"))
	return &POXError{
		Namespace: root.NamespaceURI(),
		Time:      el.SelectAttrValue("Time", ""),
		ID:        el.SelectAttrValue("Id", ""),
		ErrorCode: code,
		Message:   xmlread.ChildText(el, "Message"),
		DebugData: xmlread.ChildText(el, "DebugData"),
	}
}

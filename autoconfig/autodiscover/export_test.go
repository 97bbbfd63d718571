package autodiscover

// The package's own names its external tests (package autodiscover_test)
// use; nothing outside the package needs them.
const MaxRequest = maxRequest

var (
	AppendResponse = appendResponse
	ErrorDocument  = errorDocument
	JSON           = jsonResponse
	ParseRequest   = parseRequest
)

type RequestError = requestError

func (c ErrorCode) Message() string { return c.message() }

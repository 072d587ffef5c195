package openapi

// Version is the OpenAPI version a [Document] is written in by default.
const Version = "3.2.0"

// Document is the root of an OpenAPI 3.2 document.
//
// Every field is omitted from the JSON output when it holds its zero value,
// except where a field's comment says otherwise. Maps are written with their
// keys sorted, so the output is byte-for-byte stable.
type Document struct {
	OpenAPI           string // "3.2.0" when empty
	Self              string // $self (3.2)
	Info              Info
	JSONSchemaDialect string
	Servers           []Server
	Paths             map[string]*PathItem // always written, {} when empty
	Components        *Components
	Security          []SecurityRequirement
	Tags              []Tag
	ExternalDocs      *ExternalDocs
	Extensions        map[string]any // keys must start with "x-"
}

// Info is the document's metadata.
type Info struct {
	Title          string // always written
	Summary        string
	Description    string
	TermsOfService string
	Contact        *Contact
	License        *License
	Version        string // always written
}

// Contact information for the API.
type Contact struct {
	Name, URL, Email string
}

// License information for the API.
type License struct {
	Name, Identifier, URL string
}

// Server is one base URL of the API.
type Server struct {
	URL         string
	Description string
	Name        string // 3.2
}

// ExternalDocs points to more documentation.
type ExternalDocs struct {
	Description, URL string
}

// Tag describes a tag used by operations.
type Tag struct {
	Name         string
	Summary      string // 3.2
	Description  string
	ExternalDocs *ExternalDocs
	Parent       string // 3.2
	Kind         string // 3.2
}

// PathItem holds the operations of one path.
type PathItem struct {
	Summary     string
	Description string
	Get         *Operation
	Put         *Operation
	Post        *Operation
	Delete      *Operation
	Options     *Operation
	Head        *Operation
	Patch       *Operation
	Trace       *Operation
	Query       *Operation // 3.2: the HTTP QUERY method
	// AdditionalOperations holds operations for other methods, keyed by the
	// method name as sent on the wire (3.2).
	AdditionalOperations map[string]*Operation
	Servers              []Server
	Parameters           []*Parameter
}

// Operation is one method on one path.
type Operation struct {
	Tags         []string
	Summary      string
	Description  string
	ExternalDocs *ExternalDocs
	OperationID  string
	Parameters   []*Parameter
	RequestBody  *RequestBody
	Responses    map[string]*Response // keyed by status code; written in numeric order
	Deprecated   bool                 // always written, as Django Modern Rest does
	// Security lists the alternative requirements (any one suffices). nil is
	// omitted; an empty non-nil slice is written as [] (no auth, overriding
	// the document's default).
	Security   []SecurityRequirement
	Servers    []Server
	Extensions map[string]any
}

// Parameter is a path, query, header or cookie parameter.
type Parameter struct {
	Name        string
	In          string // "path", "query", "header", "cookie" (or "querystring", 3.2)
	Description string
	Required    bool
	Deprecated  bool // always written
	Style       string
	Explode     *bool
	Schema      *Schema
	Example     any
}

// RequestBody describes a request body.
type RequestBody struct {
	Description string
	Content     map[string]*MediaType
	Required    bool
}

// MediaType describes one content type of a body.
type MediaType struct {
	Schema     *Schema
	ItemSchema *Schema // 3.2: schema of each item of a sequential media type
	Example    any
}

// Response describes one response.
type Response struct {
	Summary     string // 3.2
	Description string // always written
	Headers     map[string]*Header
	Content     map[string]*MediaType
}

// Header describes a response header.
type Header struct {
	Description string
	Required    bool
	Deprecated  bool
	Schema      *Schema
}

// Components holds reusable objects.
type Components struct {
	Schemas         map[string]*Schema
	Responses       map[string]*Response
	Parameters      map[string]*Parameter
	Headers         map[string]*Header
	SecuritySchemes map[string]*SecurityScheme // omitted when empty
}

// SecurityScheme defines a security scheme.
type SecurityScheme struct {
	Type              string // "apiKey", "http", "mutualTLS", "oauth2", "openIdConnect"
	Description       string
	Name              string // apiKey
	In                string // apiKey: "query", "header" or "cookie"
	Scheme            string // http
	BearerFormat      string // http
	OpenIDConnectURL  string
	OAuth2MetadataURL string // 3.2
	Flows             *OAuthFlows
	Deprecated        bool // 3.2
}

// OAuthFlows lists the OAuth 2 flows of a scheme.
type OAuthFlows struct {
	Implicit, Password, ClientCredentials, AuthorizationCode, DeviceAuthorization *OAuthFlow
}

// OAuthFlow is one OAuth 2 flow.
type OAuthFlow struct {
	AuthorizationURL       string
	DeviceAuthorizationURL string // 3.2
	TokenURL               string
	RefreshURL             string
	Scopes                 map[string]string // always written
}

// SecurityRequirement names the schemes that must all be satisfied (AND),
// with their scopes. An operation's list of requirements is an OR.
type SecurityRequirement map[string][]string

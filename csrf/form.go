package csrf

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"github.com/dmr-go/dmr/internal/pycompat"
)

// formToken returns the last csrfmiddlewaretoken field of a POST form body
// (Django's request.POST.get), or "" when the body is not a form, has no such
// field, cannot be read or parsed, or is larger than MaxFormBytes. Django
// ignores an unreadable body here too and falls back to the header.
//
// The body is buffered and put back (r.Body is replaced), so the handler reads
// it unchanged. A form already parsed by net/http (r.PostForm) is used as is.
func (p *Protector) formToken(r *http.Request) string {
	kind := formKind(r.Header)
	if kind == "" {
		return ""
	}
	if r.PostForm != nil {
		if vs := r.PostForm[FormField]; len(vs) > 0 {
			return vs[len(vs)-1]
		}
		if r.MultipartForm != nil {
			if vs := r.MultipartForm.Value[FormField]; len(vs) > 0 {
				return vs[len(vs)-1]
			}
		}
		return ""
	}
	if r.Body == nil || r.Body == http.NoBody {
		return ""
	}
	body, complete, err := peekBody(r, p.maxForm)
	if err != nil || !complete {
		return ""
	}
	if kind == "multipart/form-data" {
		return multipartToken(r.Header.Get("Content-Type"), body)
	}
	return urlencodedToken(body)
}

// formKind returns the body's media type when Django would parse it into
// request.POST.
func formKind(h http.Header) string {
	var ct string
	if vs := h["Content-Type"]; len(vs) > 0 {
		ct = vs[0]
	}
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	switch {
	case strings.EqualFold(ct, "application/x-www-form-urlencoded"):
		return "application/x-www-form-urlencoded"
	case strings.EqualFold(ct, "multipart/form-data"):
		return "multipart/form-data"
	}
	return ""
}

// replayBody gives the handler the bytes already read followed by the rest of
// the original body, and closes the original.
type replayBody struct {
	io.Reader
	orig io.Closer
}

func (b *replayBody) Close() error { return b.orig.Close() }

// peekBody reads up to limit bytes of r.Body and replaces r.Body with a
// reader that returns the same bytes again. complete is false when the body is
// longer than limit.
func peekBody(r *http.Request, limit int64) (body []byte, complete bool, err error) {
	orig := r.Body
	body, err = io.ReadAll(io.LimitReader(orig, limit+1))
	complete = int64(len(body)) <= limit
	if complete && err == nil {
		r.Body = &replayBody{Reader: bytes.NewReader(body), orig: orig}
	} else {
		r.Body = &replayBody{Reader: io.MultiReader(bytes.NewReader(body), errReader{err}, orig), orig: orig}
	}
	return body, complete, err
}

// errReader replays a read error after the buffered bytes (or nothing when
// err is nil).
type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) {
	if e.err == nil {
		return 0, io.EOF
	}
	return 0, e.err
}

// urlencodedToken is Django's request.POST.get(FormField, "") for an
// urlencoded body.
func urlencodedToken(body []byte) string {
	token, _ := pycompat.FormValue(body, FormField)
	return token
}

// multipartToken returns the last non-file FormField part of a
// multipart/form-data body.
func multipartToken(contentType string, body []byte) string {
	_, params, err := mime.ParseMediaType(contentType)
	if err != nil || params["boundary"] == "" {
		return ""
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	token := ""
	for {
		part, err := mr.NextPart()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return token
			}
			return "" // malformed: Django would answer 400; we fall back to the header
		}
		if part.FormName() == FormField && part.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(part, TokenLength*4+1))
			if err != nil {
				return ""
			}
			token = strings.ToValidUTF8(string(v), "\uFFFD")
		}
		_ = part.Close()
	}
}

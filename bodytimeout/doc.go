// Package bodytimeout bounds how long a request body may take to arrive, so
// that slow or stalled clients (a body dribbled a byte at a time, or never
// finished) cannot hold connections and handlers open indefinitely.
//
// Handler sets the connection's read deadline (through
// http.ResponseController.SetReadDeadline) to the start of the request plus
// the timeout, for requests that have a body. The deadline covers the body
// only: when the body has been read to its end, net/http clears the read
// deadline as it starts watching the connection for the client going away,
// so a handler that works longer than the timeout after reading its body is
// not cut off (HTTP/2 streams behave the same). Requests without a body get
// no deadline, since net/http is already watching their connection and a
// deadline expiring there would cancel the request's context. A handler
// that never reads its body leaves the deadline in place, which also bounds
// net/http discarding the unread rest after the handler returns.
//
// When the deadline passes, the handler's Read returns an error wrapping
// os.ErrDeadlineExceeded. dmr's API layer answers it with 408 in the error
// model ("Request body was not received in time"); plain handlers decide
// themselves (IsTimeout recognises the error). The connection is then closed
// after the response.
//
// The header and idle phases are the http.Server's job (ReadHeaderTimeout,
// IdleTimeout) and a WriteTimeout bounds a client that does not read its
// answer; package manage's serve command sets all of them. Server.ReadTimeout
// is not needed with this handler: it would bound the header and the body
// together, for every request, including those without a body.
//
// Works with HTTP/1.x and HTTP/2 (whose streams support read deadlines); on a
// ResponseWriter that supports neither (a test recorder), Handler does
// nothing.
package bodytimeout

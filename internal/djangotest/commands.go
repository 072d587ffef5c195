package djangotest

import "encoding/json"

// Typed wrappers of the djangoctl.py commands the interop suite uses most.
// Each fails the test on error, like Run.

// User is a row of auth_user as Django's ORM reads it.
type User struct {
	ID          string  `json:"id"`
	Username    string  `json:"username"`
	Password    string  `json:"password"`
	Email       string  `json:"email"`
	IsActive    bool    `json:"is_active"`
	IsStaff     bool    `json:"is_staff"`
	IsSuperuser bool    `json:"is_superuser"`
	LastLogin   *string `json:"last_login"` // ISO 8601, nil when never logged in
	DateJoined  string  `json:"date_joined"`
}

// Migrate runs Django's migrations (fakeInitial: --fake-initial) and returns
// the tables that exist afterwards.
func (d *Django) Migrate(fakeInitial bool) []string {
	d.t.Helper()
	var out struct {
		Tables []string `json:"tables"`
	}
	d.Run("migrate", map[string]any{"fake_initial": fakeInitial}, &out)
	return out.Tables
}

// CreateUser creates a user with User.objects.create_user and Django's
// default hasher.
func (d *Django) CreateUser(username, password string) User {
	d.t.Helper()
	var u User
	d.Run("create-user", map[string]any{"username": username, "password": password}, &u)
	return u
}

// UserRow returns the auth_user row of username, or nil when there is none.
func (d *Django) UserRow(username string) *User {
	d.t.Helper()
	var u *User
	d.Run("get-user-row", map[string]any{"username": username}, &u)
	return u
}

// PasswordCheck is the result of User.check_password.
type PasswordCheck struct {
	OK      bool   `json:"ok"`
	Changed bool   `json:"changed"` // Django rehashed and saved the password
	Before  string `json:"before"`
	After   string `json:"after"`
}

// CheckPassword runs User.check_password, which rehashes and saves the
// password when Django thinks the stored hash must be updated.
func (d *Django) CheckPassword(username, password string) PasswordCheck {
	d.t.Helper()
	var c PasswordCheck
	d.Run("check-password", map[string]any{"username": username, "password": password}, &c)
	return c
}

// SetPassword runs User.set_password + save and returns the new hash.
func (d *Django) SetPassword(username, password string) string {
	d.t.Helper()
	var out struct {
		Password string `json:"password"`
	}
	d.Run("set-password", map[string]any{"username": username, "password": password}, &out)
	return out.Password
}

// Session is a session as Django's SessionStore sees it.
type Session struct {
	// Key is the session key; empty when Django did not adopt the key it was
	// given (unknown, expired or undecodable). For signed_cookies it is the
	// cookie value.
	Key string `json:"key"`
	// Data is the session dict as Python's json.dumps writes it (key order
	// and integer/float distinction kept).
	Data                 json.RawMessage `json:"data"`
	ExpiryAge            int             `json:"expiry_age"`
	ExpireAtBrowserClose bool            `json:"expire_at_browser_close"`
}

// SessionWrite creates a session holding data with SessionStore.save().
// data is anything that marshals to a JSON object; pass a json.RawMessage to
// control key order (Python keeps it).
func (d *Django) SessionWrite(data any) Session {
	d.t.Helper()
	var s Session
	d.Run("session-write", map[string]any{"data": data}, &s)
	return s
}

// SessionUpdate loads the session under key, sets and deletes keys, and
// saves it.
func (d *Django) SessionUpdate(key string, set any, del []string) Session {
	d.t.Helper()
	var s Session
	d.Run("session-update", map[string]any{"key": key, "set": set, "delete": del}, &s)
	return s
}

// SessionRead loads the session under key (a cookie value for
// signed_cookies).
func (d *Django) SessionRead(key string) Session {
	d.t.Helper()
	var s Session
	d.Run("session-read", map[string]any{"key": key}, &s)
	return s
}

// Cookie is a cookie a Django response set.
type Cookie struct {
	Value    string `json:"value"`
	MaxAge   string `json:"max_age"`
	Expires  string `json:"expires"`
	Path     string `json:"path"`
	Domain   string `json:"domain"`
	SameSite string `json:"samesite"`
	HttpOnly bool   `json:"httponly"`
	Secure   bool   `json:"secure"`
}

// LoginResult is what Django's login() produced.
type LoginResult struct {
	OK        bool            `json:"ok"`
	Status    int             `json:"status"` // of POST /login/ when it failed
	SessionID string          `json:"sessionid"`
	CSRFToken string          `json:"csrftoken"` // the rotated CSRF cookie, if any
	Session   json.RawMessage `json:"session"`   // the session dict after login
}

// Login logs username in with Django's login(): with a password through
// authenticate() and POST /login/ (the full middleware stack); with an empty
// password through Client.force_login.
func (d *Django) Login(username, password string) LoginResult {
	d.t.Helper()
	args := map[string]any{"username": username}
	if password != "" {
		args["password"] = password
	}
	var r LoginResult
	d.Run("login", args, &r)
	return r
}

// Who is the user AuthenticationMiddleware puts on a request.
type Who struct {
	Authenticated bool              `json:"authenticated"`
	UserID        string            `json:"user_id"`
	Username      string            `json:"username"`
	Cookies       map[string]Cookie `json:"cookies"`
}

// GetUser sends GET /whoami/ with the session cookie and returns the user
// Django's get_user found, and the cookies the response set (a new key when
// the session was cycled, an emptied cookie when it was flushed).
func (d *Django) GetUser(sessionID string) Who {
	d.t.Helper()
	var w Who
	d.Run("get-user", map[string]any{"sessionid": sessionID}, &w)
	return w
}

// CSRFToken is what get_token() handed out.
type CSRFToken struct {
	Token     string            `json:"token"`     // masked, 64 chars
	Secret    string            `json:"secret"`    // the csrftoken cookie (or the session's _csrftoken)
	SessionID string            `json:"sessionid"` // with CSRF_USE_SESSIONS
	Cookies   map[string]Cookie `json:"cookies"`
}

// GetToken sends GET /csrf/ (a view calling get_token) with an optional
// session cookie.
func (d *Django) GetToken(sessionID string) CSRFToken {
	d.t.Helper()
	var c CSRFToken
	d.Run("csrf-token", map[string]any{"sessionid": sessionID}, &c)
	return c
}

// CSRFRequest is an unsafe request for CsrfViewMiddleware to judge.
type CSRFRequest struct {
	Cookie    *string           `json:"cookie,omitempty"` // csrftoken cookie; nil: none
	Token     *string           `json:"token,omitempty"`  // nil: none sent
	Via       string            `json:"via,omitempty"`    // "header" (X-CSRFToken, default) or "form"
	Method    string            `json:"method,omitempty"` // default POST
	Headers   map[string]string `json:"headers,omitempty"`
	Secure    bool              `json:"secure,omitempty"`
	SessionID string            `json:"sessionid,omitempty"`
}

// CSRFVerdict is Django's decision: OK, or 403 with its reason.
type CSRFVerdict struct {
	OK     bool   `json:"ok"`
	Status int    `json:"status"`
	Reason string `json:"reason"`
}

// CSRFCheck sends the request to a view behind CsrfViewMiddleware.
func (d *Django) CSRFCheck(r CSRFRequest) CSRFVerdict {
	d.t.Helper()
	var v CSRFVerdict
	d.Run("csrf-check", r, &v)
	return v
}

// CreateUserWith creates a user with extra fields (is_staff, is_superuser,
// is_active, email, and "extra": {column: value} for a custom model's own
// fields). With the custom model, username is the email.
func (d *Django) CreateUserWith(username, password string, fields map[string]any) User {
	d.t.Helper()
	args := map[string]any{"username": username, "password": password}
	for k, v := range fields {
		args[k] = v
	}
	var u User
	d.Run("create-user", args, &u)
	return u
}

// GrantPerm gives the permission "app_label.codename" to the user, or to
// group (created if missing) which the user joins, and returns what
// user.has_perm answers afterwards.
func (d *Django) GrantPerm(username, perm, group string) bool {
	d.t.Helper()
	var r struct {
		HasPerm bool `json:"has_perm"`
	}
	d.Run("grant-perm", map[string]any{"username": username, "perm": perm, "group": group}, &r)
	return r.HasPerm
}

// RevokePerm removes the permission from the user or from group and
// returns user.has_perm afterwards.
func (d *Django) RevokePerm(username, perm, group string) bool {
	d.t.Helper()
	var r struct {
		HasPerm bool `json:"has_perm"`
	}
	d.Run("revoke-perm", map[string]any{"username": username, "perm": perm, "group": group}, &r)
	return r.HasPerm
}

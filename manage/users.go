package manage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/dmr-go/dmr/auth"
)

// MaxUsernameLength is the length of auth_user.username.
const MaxUsernameLength = 150

// maxPasswordBytes bounds a password read from stdin.
const maxPasswordBytes = 4096

// usernamePattern is Django's UnicodeUsernameValidator: letters, digits and
// @ . + - _ (Python's \w in Unicode mode counts letters, digits, marks and
// the connector punctuation).
var usernamePattern = regexp.MustCompile(`^[\p{L}\p{N}\p{M}\p{Pc}.@+\-]+$`)

// ValidateUsername checks a username as Django's user model does: 1 to 150
// characters, letters, digits and @/./+/-/_ only.
func ValidateUsername(u string) error {
	switch {
	case u == "":
		return errors.New("the username must be set")
	case utf8.RuneCountInString(u) > MaxUsernameLength:
		return fmt.Errorf("the username has more than %d characters", MaxUsernameLength)
	case !utf8.ValidString(u) || !usernamePattern.MatchString(u):
		return errors.New("enter a valid username: it may contain only letters, numbers, and @/./+/-/_ characters")
	}
	return nil
}

type createUserFlags struct {
	username, email           string
	staff, superuser          bool
	passwordStdin, noPassword bool
}

func (c *cli) createUser(ctx context.Context, o createUserFlags) error {
	if o.passwordStdin && o.noPassword {
		return errors.New("createuser: --password-stdin and --no-password exclude each other")
	}
	if len(o.email) > 254 {
		return errors.New("createuser: --email: more than 254 characters")
	}
	env, err := c.open(ctx)
	if err != nil {
		return err
	}
	defer env.Close()
	if field := env.UserModel.UsernameField; field == "" || field == "username" {
		if err := ValidateUsername(o.username); err != nil {
			return fmt.Errorf("createuser: --username: %w", err)
		}
	} else {
		// USERNAME_FIELD is another column (email…): --username carries its
		// value, which only has to be present and fit.
		if o.username == "" || utf8.RuneCountInString(o.username) > 254 {
			return fmt.Errorf("createuser: --username: the %s (USERNAME_FIELD) must have 1 to 254 characters", field)
		}
		if field == "email" && o.email == "" {
			o.email = o.username
		}
	}
	if _, err := env.Users.UserByUsername(ctx, o.username); err == nil {
		return fmt.Errorf("createuser: user %q already exists", o.username)
	} else if !errors.Is(err, auth.ErrUserNotFound) {
		return fmt.Errorf("createuser: %w", err)
	}
	nu := auth.NewUser{
		Username: o.username, Email: o.email,
		IsStaff: o.staff || o.superuser, IsSuperuser: o.superuser,
		NoPassword: o.noPassword,
	}
	if !o.noPassword {
		if nu.Password, err = c.password(o.passwordStdin, "--no-password"); err != nil {
			return fmt.Errorf("createuser: %w", err)
		}
	}
	u, err := env.Auth.CreateUser(ctx, nu)
	if errors.Is(err, auth.ErrUsernameTaken) {
		return fmt.Errorf("createuser: user %q already exists", o.username)
	}
	if err != nil {
		return fmt.Errorf("createuser: %w", err)
	}
	kind := "User"
	if u.IsSuperuser {
		kind = "Superuser"
	} else if u.IsStaff {
		kind = "Staff user"
	}
	fmt.Fprintf(c.inv.Stdout, "%s %q created (id %s).\n", kind, u.Username, u.ID)
	return nil
}

// openUser opens the environment (as open) and looks up the user named
// username. When no user has that name it fails with notFound; other lookup
// errors are prefixed with cmd. The caller closes the returned Env.
func (c *cli) openUser(ctx context.Context, cmd, username string, notFound error) (*Env, *auth.User, error) {
	env, err := c.open(ctx)
	if err != nil {
		return nil, nil, err
	}
	u, err := env.Users.UserByUsername(ctx, username)
	if err != nil {
		env.Close()
		if errors.Is(err, auth.ErrUserNotFound) {
			return nil, nil, notFound
		}
		return nil, nil, fmt.Errorf("%s: %w", cmd, err)
	}
	return env, u, nil
}

func (c *cli) changePassword(ctx context.Context, o createUserFlags) error {
	if o.username == "" {
		return errors.New("changepassword: --username is required")
	}
	env, u, err := c.openUser(ctx, "changepassword", o.username,
		fmt.Errorf("changepassword: user %q does not exist", o.username))
	if err != nil {
		return err
	}
	defer env.Close()
	pw, err := c.password(o.passwordStdin, "")
	if err != nil {
		return fmt.Errorf("changepassword: %w", err)
	}
	// Changing the hash changes the session auth hash: every session of the
	// user ends on its next request, as with Django's changepassword.
	if err := env.Auth.SetPassword(ctx, u, pw); err != nil {
		return fmt.Errorf("changepassword: %w", err)
	}
	fmt.Fprintf(c.inv.Stdout, "Password changed successfully for user %q.\n", u.Username)
	return nil
}

// password reads the new password from stdin (fromStdin) or, on a terminal,
// prompts for it twice without echo.
func (c *cli) password(fromStdin bool, alt string) (string, error) {
	var pw string
	if fromStdin {
		b, err := io.ReadAll(io.LimitReader(c.inv.Stdin, maxPasswordBytes+1))
		if err != nil {
			return "", fmt.Errorf("read password from stdin: %w", err)
		}
		if len(b) > maxPasswordBytes {
			return "", fmt.Errorf("password on stdin is longer than %d bytes", maxPasswordBytes)
		}
		pw = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	} else {
		f, ok := c.inv.Stdin.(*os.File)
		if !ok || !term.IsTerminal(int(f.Fd())) {
			or := "--password-stdin"
			if alt != "" {
				or += " or " + alt
			}
			return "", fmt.Errorf("no terminal to prompt for the password: use %s", or)
		}
		p1, err := c.prompt(f, "Password: ")
		if err != nil {
			return "", err
		}
		p2, err := c.prompt(f, "Password (again): ")
		if err != nil {
			return "", err
		}
		if p1 != p2 {
			return "", errors.New("the passwords do not match")
		}
		pw = p1
	}
	if pw == "" {
		return "", errors.New("blank passwords are not allowed")
	}
	if !utf8.ValidString(pw) {
		return "", errors.New("the password is not valid UTF-8")
	}
	return pw, nil
}

func (c *cli) prompt(f *os.File, label string) (string, error) {
	fmt.Fprint(c.inv.Stderr, label)
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(c.inv.Stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	return string(b), nil
}

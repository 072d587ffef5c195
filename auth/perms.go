package auth

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// PermissionSource loads permissions from where Django keeps them
// (auth_permission, django_content_type, the group and user-permission
// tables; package auth/permdb implements it in SQL). Each permission is the
// string "<app_label>.<codename>". Implementations must be safe for
// concurrent use.
type PermissionSource interface {
	// UserPermissions returns the permissions granted to the user with
	// primary key id directly or through one of its groups (the union of
	// ModelBackend's get_user_permissions and get_group_permissions). It
	// does not look at is_active or is_superuser: Auth does that first.
	UserPermissions(ctx context.Context, id string) (PermissionSet, error)
	// AllPermissions returns every permission that exists (what
	// ModelBackend's get_all_permissions answers for a superuser).
	AllPermissions(ctx context.Context) (PermissionSet, error)
}

// PermissionSet is an immutable set of "<app_label>.<codename>" strings.
// The zero PermissionSet is empty. It may be shared between goroutines.
type PermissionSet struct {
	m map[string]struct{}
}

// NewPermissionSet returns the set of perms (duplicates are kept once).
func NewPermissionSet(perms ...string) PermissionSet {
	if len(perms) == 0 {
		return PermissionSet{}
	}
	m := make(map[string]struct{}, len(perms))
	for _, p := range perms {
		m[p] = struct{}{}
	}
	return PermissionSet{m: m}
}

// Has reports whether perm is in the set.
func (s PermissionSet) Has(perm string) bool {
	_, ok := s.m[perm]
	return ok
}

// Len returns the number of permissions.
func (s PermissionSet) Len() int { return len(s.m) }

// List returns the permissions, sorted.
func (s PermissionSet) List() []string {
	out := make([]string, 0, len(s.m))
	for p := range s.m {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

// ValidatePermission reports whether perm has the form Django's has_perm
// looks up: "<app_label>.<codename>" with both parts non-empty. A permission
// of another form can never be granted; endpoint checks refuse it at
// registration rather than deny every request.
func ValidatePermission(perm string) error {
	app, code, ok := strings.Cut(perm, ".")
	if !ok || app == "" || code == "" {
		return fmt.Errorf("auth: permission %q is not of the form <app_label>.<codename>", perm)
	}
	return nil
}

// UserPermissions returns u's permissions with ModelBackend's rules: none
// for an anonymous or inactive user; every permission for an active
// superuser (asking the source's AllPermissions); otherwise the user's own
// and its groups' permissions. Without Options.Permissions there are no
// permission rows, so the set is empty.
func (a *Auth) UserPermissions(ctx context.Context, u *User) (PermissionSet, error) {
	if !u.IsAuthenticated() || !u.IsActive || a.perms == nil {
		return PermissionSet{}, nil
	}
	var (
		s   PermissionSet
		err error
	)
	if u.IsSuperuser {
		s, err = a.perms.AllPermissions(ctx)
	} else {
		s, err = a.perms.UserPermissions(ctx, u.ID)
	}
	if err != nil {
		return PermissionSet{}, fmt.Errorf("auth: load permissions: %w", err)
	}
	return s, nil
}

// UserHasPerm is Django's user.has_perm(perm) for u: an active superuser
// has every permission and no store is asked; an anonymous or inactive user
// has none; otherwise perm must be among u's or its groups' permissions.
// Errors are store failures (callers deny).
func (a *Auth) UserHasPerm(ctx context.Context, u *User, perm string) (bool, error) {
	if !u.IsAuthenticated() || !u.IsActive {
		return false, nil
	}
	if u.IsSuperuser {
		return true, nil
	}
	s, err := a.UserPermissions(ctx, u)
	if err != nil {
		return false, err
	}
	return s.Has(perm), nil
}

// HasPerm is Django's request.user.has_perm(perm) for the request's current
// user (see [Auth.UserHasPerm]). The user's permissions are loaded at most
// once per request. It returns ErrNoMiddleware without the auth middleware,
// and the error that kept the user or the permissions from loading.
func HasPerm(ctx context.Context, perm string) (bool, error) {
	st := stateFrom(ctx)
	if st == nil {
		return false, ErrNoMiddleware
	}
	u, err := st.get(ctx)
	if err != nil {
		return false, err
	}
	if !u.IsAuthenticated() || !u.IsActive {
		return false, nil
	}
	if u.IsSuperuser {
		return true, nil
	}
	s, err := st.permissions(ctx, u)
	if err != nil {
		return false, err
	}
	return s.Has(perm), nil
}

// HasPerms is Django's has_perms: true when the current user has every one
// of perms. As in Django, an empty list is true for everyone.
func HasPerms(ctx context.Context, perms ...string) (bool, error) {
	if stateFrom(ctx) == nil {
		return false, ErrNoMiddleware
	}
	for _, p := range perms {
		ok, err := HasPerm(ctx, p)
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

// AllPermissions is Django's request.user.get_all_permissions() for the
// current user: every permission for an active superuser, the user's and
// its groups' otherwise, none for an anonymous or inactive user. Loaded at
// most once per request.
func AllPermissions(ctx context.Context) (PermissionSet, error) {
	st := stateFrom(ctx)
	if st == nil {
		return PermissionSet{}, ErrNoMiddleware
	}
	u, err := st.get(ctx)
	if err != nil {
		return PermissionSet{}, err
	}
	return st.permissions(ctx, u)
}

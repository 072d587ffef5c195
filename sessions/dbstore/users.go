package dbstore

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// AuthUserIDKey is the session key under which Django's auth keeps the user's
// primary key, as a string (str(user.pk)).
const AuthUserIDKey = "_auth_user_id"

// ScanBatch is how many rows DeleteUserSessions reads per query.
const ScanBatch = 1000

// UserSessionKeys returns the keys of all stored sessions (live or expired)
// whose _auth_user_id equals userID, except the key keep (use "" to keep
// none). It reads the whole table in primary-key order, ScanBatch rows per
// query, decoding every row; rows that do not decode are skipped.
func (s *Store) UserSessionKeys(ctx context.Context, userID, keep string) ([]string, error) {
	var found []string
	after := ""
	for {
		n, last, err := s.scanBatch(ctx, after, keep, userID, &found)
		if err != nil {
			return found, err
		}
		if n < ScanBatch {
			return found, nil
		}
		after = last
	}
}

// scanBatch reads up to ScanBatch rows after the key after, under one
// operation deadline, and returns how many it read and the last key.
func (s *Store) scanBatch(ctx context.Context, after, keep, userID string, found *[]string) (n int, last string, err error) {
	ctx, cancel := s.db.Context(ctx)
	defer cancel()
	rows, err := s.db.Read.QueryContext(ctx, s.q.scan, after, ScanBatch)
	if err != nil {
		return 0, "", fmt.Errorf("dbstore: scan sessions: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, data string
		if err := rows.Scan(&key, &data); err != nil {
			return n, last, fmt.Errorf("dbstore: scan sessions: %w", err)
		}
		n++
		last = key
		if key == keep {
			continue
		}
		obj, err := s.codec.Decode(data)
		if err != nil {
			continue
		}
		v, ok := obj.Get(AuthUserIDKey)
		if ok && userIDEqual(v, userID) {
			*found = append(*found, key)
		}
	}
	if err := rows.Err(); err != nil {
		return n, last, fmt.Errorf("dbstore: scan sessions: %w", err)
	}
	return n, last, nil
}

// userIDEqual compares a stored _auth_user_id (a string in Django; a number
// if something else wrote it) with id.
func userIDEqual(v any, id string) bool {
	switch v := v.(type) {
	case string:
		return v == id
	case int64:
		return strconv.FormatInt(v, 10) == id
	case json.Number:
		return string(v) == id
	}
	return false
}

// DeleteUserSessions deletes every stored session of the user whose primary
// key is userID ("log out everywhere"), except the session keep ("" for none),
// and returns the deleted keys. See UserSessionKeys for what it costs.
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keep string) ([]string, error) {
	keys, err := s.UserSessionKeys(ctx, userID, keep)
	if err != nil {
		return nil, err
	}
	if err := s.DeleteKeys(ctx, keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// DeleteKeys deletes the rows under keys, in batches.
func (s *Store) DeleteKeys(ctx context.Context, keys []string) error {
	const batch = 500
	for len(keys) > 0 {
		n := min(batch, len(keys))
		q := `DELETE FROM ` + s.d.Quote("django_session") + ` WHERE ` + s.d.Quote("session_key") + ` IN (` + s.d.Placeholders(1, n) + `)`
		args := make([]any, n)
		for i := range n {
			args[i] = keys[i]
		}
		if err := s.deleteBatch(ctx, q, args); err != nil {
			return err
		}
		keys = keys[n:]
	}
	return nil
}

func (s *Store) deleteBatch(ctx context.Context, q string, args []any) error {
	ctx, cancel := s.db.Context(ctx)
	defer cancel()
	if _, err := s.db.Write.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("dbstore: delete sessions: %w", err)
	}
	return nil
}

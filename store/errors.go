package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/objectos-go/objectos"
)

// translate turns a driver error into an *objectos.Error with a stable code
// and a client-safe message, keeping the driver error as the cause.
func (s *Store) translate(err error) error {
	if err == nil {
		return nil
	}
	var oe *objectos.Error
	if errors.As(err, &oe) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return objectos.NewError(objectos.CodeServiceUnavailable, "The request was cancelled or timed out.").WithCause(err)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return s.uniqueViolation(pe.ConstraintName, nil, err)
		case pe.Code == "23503":
			return s.foreignKeyViolation(pe.ConstraintName, err)
		case pe.Code == "54000" || pe.Code == "22001":
			// program_limit_exceeded (an index row too large), string too long
			return objectos.NewError(objectos.CodeValidationFailed, "A value is too long to be stored in an indexed field.").WithCause(err)
		case pe.Code == "57014":
			// query_canceled: statement_timeout, or a cancelled request
			return objectos.NewError(objectos.CodeServiceUnavailable, "The query took too long and was stopped; narrow it (filter on indexed fields) or try again later.").WithCause(err)
		case pe.Code == "40001" || pe.Code == "40P01":
			return objectos.NewError(objectos.CodeConcurrentUpdate, "The record was changed concurrently; try again.").WithCause(err)
		case strings.HasPrefix(pe.Code, "08") || pe.Code == "57P01" || pe.Code == "57P02" || pe.Code == "57P03" || pe.Code == "53300":
			return unavailable(err)
		}
		return objectos.NewError(objectos.CodeInternal, "A database error occurred.").WithCause(err)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return s.uniqueViolation("", sqliteColumns(se.Error()), err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return objectos.NewError(objectos.CodeValidationFailed, "A referenced record does not exist, or other records still reference this one.").
				WithCause(err)
		}
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return objectos.NewError(objectos.CodeServiceUnavailable, "The database is busy; try again.").WithCause(err)
		case sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY:
			return unavailable(err)
		}
		return objectos.NewError(objectos.CodeInternal, "A database error occurred.").WithCause(err)
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.As(err, &ne) || errors.As(err, &ce) ||
		strings.Contains(err.Error(), "sql: database is closed") || strings.Contains(err.Error(), "conn closed") {
		return unavailable(err)
	}
	return err
}

// commitFailed translates the error of a COMMIT. A definite refusal (a
// serialization failure, a deferred constraint) keeps its code; a lost
// connection or a timeout leaves the outcome unknown, which the client is
// told: the write may or may not have been applied.
func (s *Store) commitFailed(err error) error {
	e := objectos.AsError(s.translate(err))
	if e.Code != objectos.CodeServiceUnavailable && e.Code != objectos.CodeInternal {
		return e
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && e.Code == objectos.CodeInternal {
		return e
	}
	return objectos.NewError(objectos.CodeServiceUnavailable,
		"The database became unavailable while saving; the change may or may not have been applied.").
		With("outcome", "unknown").WithCause(err)
}

func unavailable(err error) error {
	return objectos.NewError(objectos.CodeServiceUnavailable, "The database is unavailable.").WithCause(err)
}

var sqliteUniqueRE = regexp.MustCompile(`constraint failed: ([a-z0-9_.,\s]+)`)

// sqliteColumns extracts "t.a, t.b" from "UNIQUE constraint failed: t.a, t.b".
func sqliteColumns(msg string) []string {
	m := sqliteUniqueRE.FindStringSubmatch(msg)
	if m == nil {
		return nil
	}
	var out []string
	for _, part := range strings.Split(m[1], ",") {
		part = strings.TrimSpace(part)
		if _, col, ok := strings.Cut(part, "."); ok {
			out = append(out, col)
		}
	}
	return out
}

func (s *Store) uniqueViolation(constraint string, fields []string, cause error) error {
	object := ""
	if constraint != "" {
		s.mu.RLock()
		info, ok := s.names[constraint]
		s.mu.RUnlock()
		if ok {
			object, fields = info.object, info.fields
		}
	}
	e := objectos.NewError(objectos.CodeUniqueViolation, "A record with this value already exists.").WithCause(cause)
	if len(fields) > 0 {
		e.Message = fmt.Sprintf("A record with this %s already exists.", strings.Join(fields, " and "))
		e.With("field", fields[0])
		if len(fields) > 1 {
			e.With("fields", fields)
		}
	}
	if object != "" {
		e.With("object", object)
	}
	return e
}

func (s *Store) foreignKeyViolation(constraint string, cause error) error {
	s.mu.RLock()
	info, ok := s.names[constraint]
	s.mu.RUnlock()
	if !ok {
		return objectos.NewError(objectos.CodeValidationFailed, "A referenced record does not exist, or other records still reference this one.").
			WithCause(cause)
	}
	field := info.fields[0]
	e := objectos.NewError(objectos.CodeValidationFailed, fmt.Sprintf("%s does not reference an existing record", field)).WithCause(cause)
	e.Fields = []objectos.FieldError{{Field: field, Code: objectos.FieldReferenceNotFound,
		Message: fmt.Sprintf("%s does not reference an existing record", field)}}
	return e.With("object", info.object)
}

// isUnique reports whether err is a unique violation.
func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

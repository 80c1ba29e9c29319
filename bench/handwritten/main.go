// Command handwritten is the baseline the load harness (../) measures
// objectos against: the CRM's account endpoints written by hand with
// net/http and a pgx pool, reading the crm_account table objectos created.
//
// Every request makes the round trips objectos makes for it: one indexed
// lookup of the API key (the SHA-256 of the key, with its revocation and
// expiry checked), then the query — a SELECT by id, a page of a filtered,
// sorted list (with its COUNT unless count=false, and not when the page
// alone tells the total), or an INSERT. It validates what it reads from the
// client, but knows nothing of permissions, hooks, field types beyond
// these, or any other object.
//
//	handwritten -addr 127.0.0.1:9090 -db 'postgres://…?search_path=bench'
//
// The keys live in hw_api_key (key_hash text primary key, user_id text,
// revoked boolean, expires_at timestamptz), which the harness creates and
// fills.
package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "handwritten:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("handwritten", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9090", "listen address")
	db := fs.String("db", "", "a postgres:// URL (with search_path where the tables are)")
	maxConns := fs.Int("max-conns", 25, "the pool's size (objectos's PostgreSQL store keeps 25)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(*db)
	if err != nil {
		return err
	}
	cfg.MaxConns = int32(*maxConns)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pool.Ping(ctx); err != nil {
		return err
	}

	s := &server{pool: pool, log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/health", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /api/v1/data/crm_account/{id}", s.authed(s.get))
	mux.HandleFunc("GET /api/v1/data/crm_account", s.authed(s.list))
	mux.HandleFunc("POST /api/v1/data/crm_account", s.authed(s.create))

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	fmt.Printf("handwritten listening on http://%s/api/v1\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(sctx)
}

type server struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

// industries are crm_account.industry's options in examples/crm/crm.yaml.
var industries = map[string]bool{"technology": true, "finance": true, "retail": true, "healthcare": true, "manufacturing": true}

const columns = `id, name, industry, annual_revenue, website, phone, parent, owner_id, created_at, created_by, updated_at, updated_by`

// account is a crm_account row; NULLs are JSON nulls.
type account struct {
	ID            string     `json:"id"`
	Name          *string    `json:"name"`
	Industry      *string    `json:"industry"`
	AnnualRevenue *float64   `json:"annual_revenue"`
	Website       *string    `json:"website"`
	Phone         *string    `json:"phone"`
	Parent        *string    `json:"parent"`
	OwnerID       *string    `json:"owner_id"`
	CreatedAt     *time.Time `json:"created_at"`
	CreatedBy     *string    `json:"created_by"`
	UpdatedAt     *time.Time `json:"updated_at"`
	UpdatedBy     *string    `json:"updated_by"`
}

func scanAccount(row pgx.Row) (account, error) {
	var a account
	err := row.Scan(&a.ID, &a.Name, &a.Industry, &a.AnnualRevenue, &a.Website, &a.Phone, &a.Parent,
		&a.OwnerID, &a.CreatedAt, &a.CreatedBy, &a.UpdatedAt, &a.UpdatedBy)
	for _, t := range []*time.Time{a.CreatedAt, a.UpdatedAt} {
		if t != nil {
			*t = t.UTC()
		}
	}
	return a, err
}

type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, apiError{Error: msg, Code: code})
}

// internal answers 500 and logs the cause, which the client never sees.
func (s *server) internal(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	fail(w, http.StatusInternalServerError, "INTERNAL_ERROR", "Internal error.")
}

// presentedKey finds the key in X-Api-Key or Authorization (Bearer or ApiKey).
func presentedKey(r *http.Request) string {
	if k := r.Header.Get("X-Api-Key"); k != "" {
		return strings.TrimSpace(k)
	}
	scheme, rest, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "ApiKey") {
		return strings.TrimSpace(rest)
	}
	return ""
}

// authed runs h as the owner of the request's API key: one indexed lookup.
func (s *server) authed(h func(w http.ResponseWriter, r *http.Request, userID string)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := presentedKey(r)
		if key == "" {
			fail(w, http.StatusUnauthorized, "UNAUTHENTICATED", "Authentication required.")
			return
		}
		sum := sha256.Sum256([]byte(key))
		var (
			userID  string
			revoked bool
			expires *time.Time
		)
		err := s.pool.QueryRow(r.Context(), `SELECT user_id, revoked, expires_at FROM hw_api_key WHERE key_hash = $1`,
			hex.EncodeToString(sum[:])).Scan(&userID, &revoked, &expires)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			fail(w, http.StatusUnauthorized, "INVALID_TOKEN", "The API key is not valid.")
			return
		case err != nil:
			s.internal(w, r, err)
			return
		case revoked || expires != nil && !time.Now().Before(*expires):
			fail(w, http.StatusUnauthorized, "INVALID_TOKEN", "The API key is not valid.")
			return
		}
		h(w, r, userID)
	}
}

// get serves GET /data/crm_account/{id}.
func (s *server) get(w http.ResponseWriter, r *http.Request, _ string) {
	id := r.PathValue("id")
	a, err := scanAccount(s.pool.QueryRow(r.Context(), `SELECT `+columns+` FROM crm_account WHERE id = $1`, id))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		fail(w, http.StatusNotFound, "NOT_FOUND", "No such record.")
	case err != nil:
		s.internal(w, r, err)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"object": "crm_account", "id": a.ID, "record": a})
	}
}

// list serves GET /data/crm_account with filter (equality on industry, as
// a JSON object), sort (created_at, either way), limit, offset and count.
func (s *server) list(w http.ResponseWriter, r *http.Request, _ string) {
	q := r.URL.Query()
	var (
		where string
		args  []any
	)
	if f := q.Get("filter"); f != "" {
		var filter map[string]string
		if err := json.Unmarshal([]byte(f), &filter); err != nil {
			fail(w, http.StatusBadRequest, "INVALID_FILTER", "filter must be a JSON object of strings.")
			return
		}
		for k, v := range filter {
			if k != "industry" {
				fail(w, http.StatusBadRequest, "INVALID_FIELD", "Only industry can be filtered on.")
				return
			}
			args = append(args, v)
			where = " WHERE industry = $1"
		}
	}
	order := ` ORDER BY id ASC`
	switch q.Get("sort") {
	case "":
	case "created_at":
		order = ` ORDER BY created_at ASC NULLS FIRST, id ASC`
	case "-created_at":
		order = ` ORDER BY created_at DESC NULLS LAST, id DESC`
	default:
		fail(w, http.StatusBadRequest, "INVALID_SORT", "Only created_at can be sorted on.")
		return
	}
	limit, offset := 50, 0
	for name, dst := range map[string]*int{"limit": &limit, "offset": &offset} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				fail(w, http.StatusBadRequest, "VALIDATION_FAILED", name+" must be a non-negative integer.")
				return
			}
			*dst = n
		}
	}
	limit = min(limit, 200)
	count := q.Get("count") != "false"

	sql := `SELECT ` + columns + ` FROM crm_account` + where + order +
		fmt.Sprintf(` LIMIT %d OFFSET %d`, limit+1, offset)
	rows, err := s.pool.Query(r.Context(), sql, args...)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	records := make([]account, 0, limit+1)
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			rows.Close()
			s.internal(w, r, err)
			return
		}
		records = append(records, a)
	}
	if err := rows.Err(); err != nil {
		s.internal(w, r, err)
		return
	}
	hasMore := len(records) > limit
	if hasMore {
		records = records[:limit]
	}
	out := map[string]any{"object": "crm_account", "records": records, "hasMore": hasMore}
	if count {
		total := offset + len(records)
		if hasMore || (len(records) == 0 && offset > 0) {
			// The page does not tell the total: count.
			if err := s.pool.QueryRow(r.Context(), `SELECT count(*) FROM crm_account`+where, args...).Scan(&total); err != nil {
				s.internal(w, r, err)
				return
			}
		}
		out["total"] = total
	}
	writeJSON(w, http.StatusOK, out)
}

// newAccount is the body of a create: the five writable fields.
type newAccount struct {
	Name          *string  `json:"name"`
	Industry      *string  `json:"industry"`
	AnnualRevenue *float64 `json:"annual_revenue"`
	Website       *string  `json:"website"`
	Phone         *string  `json:"phone"`
}

// create serves POST /data/crm_account as the key's owner.
func (s *server) create(w http.ResponseWriter, r *http.Request, userID string) {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	var in newAccount
	if err := dec.Decode(&in); err != nil {
		fail(w, http.StatusBadRequest, "INVALID_JSON", "The body must be a JSON object of the account's fields.")
		return
	}
	switch {
	case in.Name == nil || *in.Name == "" || len(*in.Name) > 200:
		fail(w, http.StatusBadRequest, "VALIDATION_FAILED", "name is required (at most 200 characters).")
		return
	case in.Industry != nil && !industries[*in.Industry]:
		fail(w, http.StatusBadRequest, "VALIDATION_FAILED", "industry is not one of the options.")
		return
	case in.AnnualRevenue != nil && *in.AnnualRevenue < 0:
		fail(w, http.StatusBadRequest, "VALIDATION_FAILED", "annual_revenue must be at least 0.")
		return
	}
	id, err := uuid.NewV7()
	if err != nil {
		s.internal(w, r, err)
		return
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	a := account{ID: id.String(), Name: in.Name, Industry: in.Industry, AnnualRevenue: in.AnnualRevenue,
		Website: in.Website, Phone: in.Phone, OwnerID: &userID, CreatedAt: &now, CreatedBy: &userID,
		UpdatedAt: &now, UpdatedBy: &userID}
	_, err = s.pool.Exec(r.Context(), `INSERT INTO crm_account (id, name, industry, annual_revenue, website, phone, owner_id, created_at, created_by, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		a.ID, a.Name, a.Industry, a.AnnualRevenue, a.Website, a.Phone, a.OwnerID, a.CreatedAt, a.CreatedBy, a.UpdatedAt, a.UpdatedBy)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/data/crm_account/"+a.ID)
	writeJSON(w, http.StatusCreated, map[string]any{"object": "crm_account", "id": a.ID, "record": a})
}

package objectos

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/objectos-go/objectos/internal/schedule"
)

// Idempotency-Key (SPEC §10a), after Stripe's: a POST or PATCH to a route
// registered with Idempotent that carries the header runs once per
// principal and key. The first successful (2xx) response — status, the
// headers in idemHeaders and the body — is stored in the system object
// IdempotencyObject in the same transaction as the request's writes, so it
// holds across crashes and replicas sharing the database; a replay returns
// it with Idempotent-Replayed: true.
//
// A request first claims its key in a statement of its own (a "pending"
// row with a lock token), so that a duplicate arriving meanwhile is told
// 409 IDEMPOTENCY_IN_PROGRESS instead of running beside it. Then its
// handler runs in one transaction whose every data call is savepointed, so
// each commits or fails alone exactly as without the header; at the end
// the same transaction marks the row done with the response (2xx) or
// deletes it (any other answer: nothing is stored, and a retry with the
// key runs again). A process that dies holding a claim leaves a pending
// row that another request takes over after LockTimeout; the finishing
// update names its lock token, so a request whose claim was taken over
// rolls back instead of completing twice.
//
// Nothing in the table reveals a request or response to someone who can
// read the database but does not know the key: the row's id, a MAC of the
// request and an AES-GCM key are derived (HKDF-SHA256) from the
// Idempotency-Key and the principal, and the stored response is
// encrypted under that key. An API key's secret in the answer that minted
// it stays as secret as the Idempotency-Key the client chose, so clients
// should choose random keys (a UUID), as for any idempotency key.

// IdempotencyObject is the system object that holds idempotency keys. It is
// not exposed through any API.
const IdempotencyObject = "sys_idempotency_key"

// IdempotencyHeader is the request header, IdempotentReplayedHeader the
// header of a replayed answer.
const (
	IdempotencyHeader        = "Idempotency-Key"
	IdempotentReplayedHeader = "Idempotent-Replayed"
)

// MaxIdempotencyKeyLength is the longest Idempotency-Key, in bytes.
const MaxIdempotencyKeyLength = 255

// Defaults of Idempotency.
const (
	DefaultIdempotencyTTL           = 24 * time.Hour
	DefaultIdempotencyLockTimeout   = time.Minute
	DefaultIdempotencyPurgeInterval = time.Hour
	DefaultIdempotencyPurgeBatch    = 1000
)

// Idempotency configures Idempotency-Key handling. The zero value turns it
// on with the defaults.
type Idempotency struct {
	// Disabled turns it off: the header is ignored and no
	// sys_idempotency_key table is created.
	Disabled bool
	// TTL is how long a key and its response are kept. Default 24 hours.
	TTL time.Duration
	// LockTimeout is how long a request's claim on its key stops
	// duplicates (409 IDEMPOTENCY_IN_PROGRESS) before another request may
	// take it over: the claim of a process that died is freed after it.
	// Set it above the store's transaction timeout (the store package's
	// default is one minute). Default one minute.
	LockTimeout time.Duration
	// PurgeInterval is how often expired keys are deleted, from a
	// goroutine that Stack.Close stops. Default one hour; negative turns
	// the schedule off (call Stack.PurgeIdempotencyKeys yourself).
	PurgeInterval time.Duration
	// PurgeBatch bounds the keys one purge deletes. Default 1000.
	PurgeBatch int
}

// Idempotent marks routes whose POST and PATCH requests honour the
// Idempotency-Key header. maxBody is the largest body the routes accept:
// a request with the header and a larger body is answered 413
// PAYLOAD_TOO_LARGE before its handler runs (its body is read whole to
// compare it with the first request's).
func Idempotent(maxBody int64) RouteOption {
	return func(o *routeOptions) { o.idemMaxBody = max(maxBody, 1) }
}

// idemHeaders are the response headers stored and replayed.
var idemHeaders = []string{"Content-Type", "Location", "ETag", "Last-Modified"}

// Row states.
const (
	idemPending = "pending"
	idemDone    = "done"
)

var hdrTrue = []string{"true"}[:1:1]

// idempotency is the Stack's Idempotency-Key service.
type idempotency struct {
	opts  Idempotency
	obj   *Object // resolved at New
	purge *schedule.Schedule
}

func newIdempotency(opts Idempotency) *idempotency {
	if opts.TTL <= 0 {
		opts.TTL = DefaultIdempotencyTTL
	}
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultIdempotencyLockTimeout
	}
	if opts.PurgeInterval == 0 {
		opts.PurgeInterval = DefaultIdempotencyPurgeInterval
	}
	if opts.PurgeBatch <= 0 {
		opts.PurgeBatch = DefaultIdempotencyPurgeBatch
	}
	return &idempotency{opts: opts}
}

// idempotencyObject is the declaration of IdempotencyObject.
func idempotencyObject() *Object {
	no := false
	return &Object{
		Name: IdempotencyObject, Label: "Idempotency Key", Ownership: OwnershipNone, SharingModel: SharingPrivate,
		System: true, Enable: Capabilities{APIEnabled: &no},
		Fields: []*Field{
			{Name: "fingerprint", Type: TypeText, Required: true, MaxLength: 64},
			{Name: "state", Type: TypeText, Required: true, MaxLength: 16},
			{Name: "lock_token", Type: TypeText, MaxLength: 64},
			{Name: "locked_at", Type: TypeDatetime},
			{Name: "expires_at", Type: TypeDatetime, Required: true},
			{Name: "status", Type: TypeNumber},
			{Name: "response", Type: TypeTextarea},
		},
		Indexes: []Index{{Fields: []string{"expires_at"}}},
	}
}

// idemRequest is one request's key, as the table knows it.
type idemRequest struct {
	id  string // hex; the row's id
	fp  string // hex MAC of method, path, query and body
	key []byte // AES-256 key of the stored response
}

// newIdemRequest derives the row id, the request's fingerprint and the
// response key from the Idempotency-Key and the principal.
func newIdemRequest(userID, key, method, target string, body []byte) (*idemRequest, error) {
	k, err := hkdf.Key(sha256.New, []byte(key), []byte(userID), "objectos idempotency v1", 96)
	if err != nil {
		return nil, err
	}
	mac := hmac.New(sha256.New, k[32:64])
	mac.Write([]byte(method))
	mac.Write([]byte{0})
	mac.Write([]byte(target))
	mac.Write([]byte{0})
	mac.Write(body)
	return &idemRequest{id: hex.EncodeToString(k[:32]), fp: hex.EncodeToString(mac.Sum(nil)), key: k[64:]}, nil
}

// storedResponse is what a replay answers.
type storedResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    []byte            `json:"body"`
}

func (q *idemRequest) seal(resp *storedResponse) (string, error) {
	plain, err := json.Marshal(resp)
	if err != nil {
		return "", err
	}
	aead, err := q.aead()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(q.id))), nil
}

func (q *idemRequest) open(s string) (*storedResponse, error) {
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	aead, err := q.aead()
	if err != nil {
		return nil, err
	}
	if len(raw) < aead.NonceSize() {
		return nil, errors.New("objectos: stored idempotent response too short")
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(q.id))
	if err != nil {
		return nil, err
	}
	var resp storedResponse
	return &resp, json.Unmarshal(plain, &resp)
}

func (q *idemRequest) aead() (cipher.AEAD, error) {
	block, err := aes.NewCipher(q.key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// checkIdempotencyKey validates the header's values.
func checkIdempotencyKey(vals []string) (string, error) {
	bad := func(msg string) *Error {
		return NewError(CodeInvalidIdempotencyKey, msg).With("header", IdempotencyHeader)
	}
	if len(vals) != 1 {
		return "", bad("Send one Idempotency-Key header.")
	}
	k := vals[0]
	if k == "" {
		return "", bad("The Idempotency-Key header is empty.")
	}
	if len(k) > MaxIdempotencyKeyLength {
		return "", bad(fmt.Sprintf("The Idempotency-Key header is %d bytes long; the most is %d.", len(k), MaxIdempotencyKeyLength)).
			With("maxLength", MaxIdempotencyKeyLength)
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return "", bad("The Idempotency-Key header must be printable ASCII (a UUID, say).")
		}
	}
	return k, nil
}

// claim outcomes.
type claimKind int

const (
	claimOwned claimKind = iota
	claimReplay
	claimReused
	claimInProgress
)

type claimResult struct {
	kind  claimKind
	lock  string // the lock token, when owned
	saved string // the stored response, for a replay
}

// claim takes the request's key, or finds what an earlier request with it
// left.
func (ix *idempotency) claim(ctx context.Context, s *Stack, q *idemRequest) (claimResult, error) {
	lock := newToken()
	for range 5 {
		now := s.clock().UTC().Truncate(time.Millisecond)
		// Read first: on SQLite a read does not wait for a writer, so a
		// duplicate learns of a request in flight without queueing
		// behind it; on PostgreSQL it is one index lookup.
		rows, err := s.store.Find(ctx, ix.obj, &Select{Where: Eq(FieldID, q.id), Limit: 1})
		if err != nil {
			return claimResult{}, err
		}
		if len(rows) == 0 {
			err := s.store.Insert(ctx, ix.obj, Record{FieldID: q.id, "fingerprint": q.fp, "state": idemPending,
				"lock_token": lock, "locked_at": now, "expires_at": now.Add(ix.opts.TTL), FieldCreatedAt: now})
			if err == nil {
				return claimResult{kind: claimOwned, lock: lock}, nil
			}
			if !IsCode(err, CodeUniqueViolation) {
				return claimResult{}, err
			}
			continue // a duplicate claimed it first
		}
		row := rows[0]
		old, _ := row["lock_token"].(string)
		if exp, _ := row["expires_at"].(time.Time); !now.Before(exp) {
			// expired but not yet purged: as if it were not there
			if _, err := s.store.Delete(ctx, ix.obj, And(Eq(FieldID, q.id), Eq("expires_at", exp))); err != nil {
				return claimResult{}, err
			}
			continue
		}
		if fp, _ := row["fingerprint"].(string); !hmac.Equal([]byte(fp), []byte(q.fp)) {
			return claimResult{kind: claimReused}, nil
		}
		if row["state"] == idemDone {
			saved, _ := row["response"].(string)
			return claimResult{kind: claimReplay, saved: saved}, nil
		}
		if at, _ := row["locked_at"].(time.Time); now.Sub(at) < ix.opts.LockTimeout {
			return claimResult{kind: claimInProgress}, nil
		}
		// The claim of a request that died (or outlived LockTimeout):
		// take it over; its transaction, if it is still running, then
		// fails to finish and rolls back.
		n, err := s.store.Update(ctx, ix.obj, And(Eq(FieldID, q.id), Eq("state", idemPending), Eq("lock_token", old)),
			Record{"lock_token": lock, "locked_at": now})
		if err != nil {
			return claimResult{}, err
		}
		if n == 1 {
			return claimResult{kind: claimOwned, lock: lock}, nil
		}
	}
	return claimResult{kind: claimInProgress}, nil
}

// errIdemLost: the request's claim was taken over while it ran.
var errIdemLost = errors.New("objectos: idempotency claim taken over")

// idempotent wraps a route's handler with Idempotency-Key handling.
func (s *Stack) idempotent(rt route, h http.Handler) http.Handler {
	fail := rt.opts.fail
	if fail == nil {
		fail = s.WriteError
	}
	maxBody := rt.opts.idemMaxBody
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vals := r.Header[IdempotencyHeader]
		if len(vals) == 0 || (r.Method != http.MethodPost && r.Method != http.MethodPatch) {
			h.ServeHTTP(w, r)
			return
		}
		key, err := checkIdempotencyKey(vals)
		if err != nil {
			fail(w, r, err)
			return
		}
		p, err := s.Authenticate(r)
		if err != nil || p == nil || p.UserID == "" {
			// no principal to keep the key for: the handler answers
			// (401, most likely)
			h.ServeHTTP(w, r)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
		if err != nil {
			fail(w, r, NewError(CodeInvalidJSON, "The request body could not be read.").WithCause(err))
			return
		}
		if int64(len(body)) > maxBody {
			fail(w, r, Errorf(CodePayloadTooLarge, "The request body is larger than %d bytes.", maxBody).With("maxBytes", maxBody))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		target := r.URL.EscapedPath()
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		q, err := newIdemRequest(p.UserID, key, r.Method, target, body)
		if err != nil {
			fail(w, r, err)
			return
		}
		c, err := s.idem.claim(r.Context(), s, q)
		if err != nil {
			fail(w, r, err)
			return
		}
		switch c.kind {
		case claimReused:
			fail(w, r, NewError(CodeIdempotencyKeyReused,
				"This Idempotency-Key was used for a request with another method, path or body; use a new key for a new request."))
			return
		case claimInProgress:
			fail(w, r, NewError(CodeIdempotencyInProgress,
				"A request with this Idempotency-Key is still being processed; retry shortly.").With("retryAfter", 1))
			return
		case claimReplay:
			resp, err := q.open(c.saved)
			if err != nil {
				fail(w, r, fmt.Errorf("objectos: stored idempotent response: %w", err))
				return
			}
			hdr := w.Header()
			for k, v := range resp.Headers {
				hdr.Set(k, v)
			}
			hdr[IdempotentReplayedHeader] = hdrTrue
			w.WriteHeader(resp.Status)
			_, _ = w.Write(resp.Body)
			return
		}
		s.runIdempotent(w, r, h, fail, q, c.lock)
	})
}

// runIdempotent runs the handler of a request that owns its key, in one
// transaction with the key's completion, and then sends its answer.
func (s *Stack) runIdempotent(w http.ResponseWriter, r *http.Request, h http.Handler, fail func(http.ResponseWriter, *http.Request, error), q *idemRequest, lock string) {
	ctx := r.Context()
	bw := &bufferedWriter{header: w.Header()}
	finished := false
	defer func() {
		if !finished { // a panic: free the key for a retry
			s.releaseIdempotencyKey(ctx, q, lock)
		}
	}()
	mine := And(Eq(FieldID, q.id), Eq("lock_token", lock))
	err := s.store.Transact(ctx, func(tx Tx) error {
		h.ServeHTTP(bw, r.WithContext(WithTx(ctx, tx)))
		if bw.status == 0 {
			bw.status = http.StatusOK
		}
		if bw.status < 200 || bw.status > 299 {
			_, err := tx.Delete(ctx, s.idem.obj, mine)
			return err
		}
		resp := &storedResponse{Status: bw.status, Body: bw.buf.Bytes()}
		for _, k := range idemHeaders {
			if v := bw.header.Get(k); v != "" {
				if resp.Headers == nil {
					resp.Headers = map[string]string{}
				}
				resp.Headers[k] = v
			}
		}
		saved, err := q.seal(resp)
		if err != nil {
			return err
		}
		n, err := tx.Update(ctx, s.idem.obj, mine, Record{"state": idemDone, "status": float64(bw.status), "response": saved,
			"lock_token": nil, "locked_at": nil})
		if err == nil && n != 1 {
			err = errIdemLost
		}
		return err
	})
	finished = true
	if err != nil {
		s.releaseIdempotencyKey(ctx, q, lock)
		for _, k := range idemHeaders {
			w.Header().Del(k)
		}
		if errors.Is(err, errIdemLost) {
			err = NewError(CodeIdempotencyInProgress,
				"A request with this Idempotency-Key is being processed elsewhere; retry shortly.").With("retryAfter", 1)
		}
		fail(w, r, err)
		return
	}
	w.WriteHeader(bw.status)
	_, _ = w.Write(bw.buf.Bytes())
}

// releaseIdempotencyKey frees a claim whose request stored nothing, so a
// retry runs; if it fails (the database is down), the claim ends after
// LockTimeout.
func (s *Stack) releaseIdempotencyKey(ctx context.Context, q *idemRequest, lock string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, err := s.store.Delete(ctx, s.idem.obj, And(Eq(FieldID, q.id), Eq("lock_token", lock), Eq("state", idemPending)))
	if err != nil {
		s.log.WarnContext(ctx, "objectos: releasing an idempotency key failed; it frees itself after Idempotency.LockTimeout",
			"request_id", RequestID(ctx), "error", err.Error())
	}
}

// PurgeIdempotencyKeys deletes at most Idempotency.PurgeBatch expired
// idempotency keys and returns how many it deleted. The Stack runs it
// every Idempotency.PurgeInterval; several replicas may purge at once.
func (s *Stack) PurgeIdempotencyKeys(ctx context.Context) (int, error) {
	if s.idem == nil {
		return 0, nil
	}
	rows, err := s.store.Find(ctx, s.idem.obj, &Select{Where: Where("expires_at", OpLt, s.clock().UTC().Truncate(time.Millisecond)),
		Fields: []string{FieldID}, Limit: s.idem.opts.PurgeBatch})
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	ids := make([]any, len(rows))
	for i, row := range rows {
		ids[i] = row[FieldID]
	}
	n, err := s.store.Delete(ctx, s.idem.obj, Where(FieldID, OpIn, ids))
	return int(n), err
}

// bufferedWriter holds a response until its transaction commits. Headers
// go to the real writer's map at once (the handler may read them back).
type bufferedWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (w *bufferedWriter) Header() http.Header { return w.header }

func (w *bufferedWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
}

func (w *bufferedWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.buf.Write(b)
}

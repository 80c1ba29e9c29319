// Package browsertest starts a headless Chromium for tests that drive a real
// browser through chromedp, and collects what pages report as errors.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// EnvRequireBrowser, when "1", turns a missing Chromium into a test failure
// instead of a skip. CI sets it.
const EnvRequireBrowser = "OBJECTOS_REQUIRE_BROWSER"

// New starts a headless Chromium for the test and returns its chromedp
// context, or skips the test when no Chromium is installed (fails it when
// EnvRequireBrowser is "1"). The browser stops when the test ends. Give
// actions on the context a timeout of their own: the context has none, as
// the browser lives as long as it.
func New(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "headless-shell"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv(EnvRequireBrowser) == "1" {
			t.Fatalf("Chromium is required (%s=1) but not installed", EnvRequireBrowser)
		}
		t.Skip("Chromium is not installed (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// the first run starts the browser, which lives as long as its context:
	// no timeout on that one
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// Errors holds the errors the page of a chromedp context reported since
// CollectErrors: calls of console.error, uncaught exceptions and unhandled
// rejections, and error entries of the browser log (Content Security Policy
// violations, failed loads). It is safe for concurrent use.
type Errors struct {
	mu   sync.Mutex
	msgs []chromedp.ConsoleMessage
}

// CollectErrors starts collecting the errors of ctx's page until the test
// ends.
func CollectErrors(t *testing.T, ctx context.Context) *Errors {
	t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	e := &Errors{}
	msgs := chromedp.Console(ctx) // subscribed from here on
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				e.mu.Lock()
				e.msgs = append(e.msgs, m)
				e.mu.Unlock()
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return e
}

// All returns the errors so far, each as its type, text and source URL.
func (e *Errors) All() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]string, 0, len(e.msgs))
	for _, m := range e.msgs {
		s := m.String()
		if m.Source != "" {
			s += " [" + m.Source + "]"
		}
		if m.URL != "" {
			s += " (" + m.URL + ")"
		}
		out = append(out, s)
	}
	return out
}

// TryOut runs Swagger UI's "Try it out" on the operation that the CSS
// selector names (such as "#operations-crm_account-list_crm_account") and
// returns the status and the response body the page shows.
func TryOut(ctx context.Context, op string) (status, body string, err error) {
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(op+" .opblock-summary-control")),
		chromedp.WaitVisible(chromedp.CSS(op+" .try-out__btn")),
		chromedp.Click(chromedp.CSS(op+" .try-out__btn")),
		chromedp.WaitVisible(chromedp.CSS(op+" .execute")),
		chromedp.Click(chromedp.CSS(op+" .execute")),
		chromedp.WaitVisible(chromedp.CSS(op+" .live-responses-table tbody .response-col_status")),
	); err != nil {
		return "", "", err
	}
	if status, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(op+" .live-responses-table tbody .response-col_status"))); err != nil {
		return "", "", err
	}
	body, err = chromedp.Run(ctx, chromedp.Text(chromedp.CSS(op+" .live-responses-table tbody .response-col_description")))
	return strings.TrimSpace(status), body, err
}

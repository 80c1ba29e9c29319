// Package browsertest starts a headless Chromium for tests that drive a real
// browser through chromedp.
package browsertest

import (
	"context"
	"os"
	"os/exec"
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

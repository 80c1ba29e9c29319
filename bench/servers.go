package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// build compiles the two servers into dir from the module at root.
func build(ctx context.Context, root, dir string) (crm, handwritten string, err error) {
	crm, handwritten = filepath.Join(dir, "crm"), filepath.Join(dir, "handwritten")
	for bin, pkg := range map[string]string{crm: "./examples/crm", handwritten: "./bench/handwritten"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %w\n%s", pkg, err, out)
		}
	}
	return crm, handwritten, nil
}

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// A server is a child process serving HTTP.
type server struct {
	name string
	cmd  *exec.Cmd
	log  string
	base string // http://addr/api/v1
	done chan struct{}
}

// startServer runs bin with args and env (on top of the harness's own),
// its output going to logDir/name.log, and waits for its health route.
func startServer(ctx context.Context, name, bin, addr, logDir string, args, env []string) (*server, error) {
	logPath := filepath.Join(logDir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so a Ctrl-C reaches the harness alone and the
	// harness stops the servers in order; killed if the harness dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	s := &server{name: name, cmd: cmd, log: logPath, base: "http://" + addr + "/api/v1", done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(s.done) }()

	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(s.base + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%s exited at start-up:\n%s", name, s.logTail())
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s not healthy after 60 s:\n%s", name, s.logTail())
		}
	}
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// stop asks the server to shut down, and kills it after 10 seconds.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// logTail is the end of the server's output, for error messages.
func (s *server) logTail() string {
	b, _ := os.ReadFile(s.log)
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

// callJSON sends body (nil for none) and decodes the answer into out,
// which must come with status want.
func callJSON(ctx context.Context, method, url, bearer string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d, want %d: %s", method, url, resp.StatusCode, want, bytes.TrimSpace(b))
	}
	return json.Unmarshal(b, out)
}

// mintKey signs in to objectos at base as the admin and mints an API key
// with that session (POST /keys), returning it and the admin's user id.
func mintKey(ctx context.Context, base, email, password string) (key, userID string, err error) {
	var session struct {
		Token string `json:"token"`
		User  struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := callJSON(ctx, http.MethodPost, base+"/auth/sign-in/email", "",
		map[string]string{"email": email, "password": password}, &session, http.StatusOK); err != nil {
		return "", "", fmt.Errorf("sign in: %w", err)
	}
	if session.Token == "" || session.User.ID == "" {
		return "", "", errors.New("sign in: no token or user id in the answer")
	}
	var minted struct {
		Key string `json:"key"`
	}
	if err := callJSON(ctx, http.MethodPost, base+"/keys", session.Token,
		map[string]string{"name": "load harness"}, &minted, http.StatusCreated); err != nil {
		return "", "", fmt.Errorf("mint a key: %w", err)
	}
	if !strings.HasPrefix(minted.Key, "os_pk_") {
		return "", "", fmt.Errorf("mint a key: got %q", minted.Key)
	}
	return minted.Key, session.User.ID, nil
}

// listTotal is the total a server reports for the list workload's query.
func listTotal(ctx context.Context, t target) (int, error) {
	var page struct {
		Total *int `json:"total"`
	}
	if err := callJSON(ctx, http.MethodGet, t.base+"/data/crm_account?"+listQuery(true), t.key, nil, &page, http.StatusOK); err != nil {
		return 0, err
	}
	if page.Total == nil {
		return 0, errors.New("no total in the answer")
	}
	return *page.Total, nil
}

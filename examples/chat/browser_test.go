package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/brookmq/brook/broker"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "write screenshot.png from the browser test")

// chromiumPath is the browser the test drives: $CHROMIUM, or Debian's.
func chromiumPath(t *testing.T) string {
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Skipf("no chromium at %s (apt-get install -y chromium, or set $CHROMIUM): %v", path, err)
	}
	return path
}

// liveServer is the chat as main runs it: a durable broker, the chat
// server and an HTTP server, on a fixed loopback address so that it can be
// stopped and started again.
type liveServer struct {
	b    *broker.Broker
	chat *Server
	hs   *http.Server
	done chan struct{}
}

func startLive(t *testing.T, ln net.Listener, dir string) *liveServer {
	t.Helper()
	b, err := broker.Open(dir, broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := &liveServer{b: b, chat: NewServer(b, socketLimits), done: make(chan struct{})}
	s.hs = &http.Server{Handler: s.chat.Handler()}
	go func() {
		defer close(s.done)
		if err := s.hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			t.Error(err)
		}
	}()
	return s
}

func (s *liveServer) stop() {
	_ = s.hs.Close()
	<-s.done
	s.chat.Close()
	_ = s.b.Close()
}

// TestBrowser drives two tabs of headless Chromium: both join the lobby
// through the page's form, one sends and the other shows it; a message
// holding HTML shows as text and creates no element; a reload shows the
// history; after a server restart on the same data directory the page
// reconnects by itself, shows the history again and sends.
func TestBrowser(t *testing.T) {
	path := chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	dir := filepath.Join(t.TempDir(), "data")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	srv := startLive(t, ln, dir)
	defer func() { srv.stop() }()

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(760, 440),
	)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	if err := chromedp.Do(browser); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", path, err)
	}

	var dialogs atomic.Int32 // alert() must never run
	var wg sync.WaitGroup
	defer wg.Wait()
	tab := func() context.Context {
		tctx, cancel := chromedp.NewContext(browser)
		t.Cleanup(cancel)
		if err := chromedp.Do(tctx); err != nil {
			t.Fatal(err)
		}
		opening := chromedp.Events(tctx, page.JavascriptDialogOpening)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, err := range opening {
				if err != nil {
					return
				}
				dialogs.Add(1)
				_, _ = chromedp.Call(tctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{})
			}
		}()
		return tctx
	}
	alice, bob := tab(), tab()
	defer cancelBrowser() // before wg.Wait: ends the event loops

	do := func(tctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(tctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	waitJS := func(tctx context.Context, what, expr string) {
		t.Helper()
		_, err := chromedp.Run(tctx, chromedp.Poll[bool](expr,
			chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(0)))
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
	}
	evalJS := func(tctx context.Context, expr string) int {
		t.Helper()
		n, err := chromedp.Run(tctx, chromedp.Evaluate[int](expr))
		if err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return n
	}
	js := func(s string) string { b, _ := json.Marshal(s); return string(b) }
	hasText := func(text string) string {
		return `[...document.querySelectorAll("#messages .text")].some(e => e.textContent === ` + js(text) + `)`
	}
	connected := `document.getElementById("status").textContent.endsWith("connected") && !document.getElementById("text").disabled`
	join := func(tctx context.Context, name string) {
		t.Helper()
		do(tctx, name+" opens the page", chromedp.Navigate("http://"+addr+"/"))
		waitJS(tctx, "the room picker", `document.querySelectorAll("#room option").length === 3`)
		do(tctx, name+" joins the lobby",
			chromedp.SetValue(chromedp.ID("name"), name),
			chromedp.SetValue(chromedp.ID("room"), "lobby"),
			chromedp.Click(chromedp.ID("join")))
		waitJS(tctx, name+" connected", connected)
	}
	send := func(tctx context.Context, text string) {
		t.Helper()
		do(tctx, "send "+text, chromedp.SetValue(chromedp.ID("text"), text), chromedp.Click(chromedp.ID("send")))
	}

	join(alice, "alice")
	join(bob, "bob")
	waitJS(alice, "bob in alice's online list",
		`[...document.querySelectorAll("#online li")].map(e => e.textContent).join() === "alice,bob"`)

	send(alice, "hello bob")
	waitJS(bob, "alice's message in bob's tab", hasText("hello bob"))

	const attack = `<img src=x onerror=alert(1)>`
	send(bob, attack)
	for name, tctx := range map[string]context.Context{"alice": alice, "bob": bob} {
		waitJS(tctx, "the HTML message as text in "+name+"'s tab", hasText(attack))
		if n := evalJS(tctx, `document.querySelectorAll("img").length`); n != 0 {
			t.Errorf("%s's tab has %d img elements", name, n)
		}
	}
	send(bob, "see you at the standup, 10:00 in room 3")
	waitJS(alice, "bob's second message", hasText("see you at the standup, 10:00 in room 3"))

	png1, err := chromedp.Run(alice, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(png1)); err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if *updateScreenshot {
		if err := os.WriteFile("screenshot.png", png1, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// A reload rejoins (the URL keeps room and name) and shows the history.
	do(bob, "bob reloads", chromedp.Reload())
	waitJS(bob, "bob connected again", connected)
	waitJS(bob, "the history after a reload", hasText("hello bob")+" && "+hasText(attack))

	// The server restarts on the same data directory: both pages reconnect
	// by themselves and get the history from the durable stream. The marker
	// goes when the history replaces the list, so it proves a reconnect.
	evalJS(alice, `document.getElementById("messages").append(Object.assign(document.createElement("li"), {id: "marker"})), 0`)
	srv.stop()
	if ln, err = net.Listen("tcp", addr); err != nil {
		t.Fatalf("listening again on %s: %v", addr, err)
	}
	srv = startLive(t, ln, dir)
	waitJS(alice, "alice reconnected with the history",
		`!document.getElementById("marker") && `+connected+" && "+hasText("hello bob"))
	waitJS(bob, "bob reconnected", connected)
	send(alice, "back after a restart")
	waitJS(bob, "a message after the restart", hasText("back after a restart"))

	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened", n)
	}
}

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// fakeBackend records the calls run makes and answers from canned state.
type fakeBackend struct {
	mu       sync.Mutex
	calls    []string         // "CreateTunnel create tunnel 1", "Batch [...]", ...
	errs     map[string]error // by op(): the error that op fails with
	tunnels  []tunnel         // what Tunnels returns
	sessions []session        // what Sessions returns
	events   []event          // what Monitor delivers
	batches  [][]command      // each Batch call's ops
	closed   bool
	netns    string
	cmds     map[string]command // the last command given to each method
	stdin    string             // what the command reads on stdin
}

func newFake() *fakeBackend {
	return &fakeBackend{errs: map[string]error{}, cmds: map[string]command{}}
}

func (f *fakeBackend) dial(netns string) (backend, error) {
	f.netns = netns
	if err := f.errs["dial"]; err != nil {
		return nil, err
	}
	return f, nil
}

func (f *fakeBackend) do(method string, c command) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method+" "+c.op())
	f.cmds[method] = c
	return f.errs[c.op()]
}

func (f *fakeBackend) CreateTunnel(_ context.Context, c *addTunnelCmd) error {
	return f.do("CreateTunnel", c)
}
func (f *fakeBackend) DeleteTunnel(_ context.Context, c *delTunnelCmd) error {
	return f.do("DeleteTunnel", c)
}
func (f *fakeBackend) CreateSession(_ context.Context, c *addSessionCmd) error {
	return f.do("CreateSession", c)
}
func (f *fakeBackend) DeleteSession(_ context.Context, c *delSessionCmd) error {
	return f.do("DeleteSession", c)
}
func (f *fakeBackend) ModifySession(_ context.Context, c *modifySessionCmd) error {
	return f.do("ModifySession", c)
}
func (f *fakeBackend) Tunnels(context.Context) ([]tunnel, error) {
	f.calls = append(f.calls, "Tunnels")
	return f.tunnels, f.errs["list tunnels"]
}
func (f *fakeBackend) Sessions(context.Context) ([]session, error) {
	f.calls = append(f.calls, "Sessions")
	return f.sessions, f.errs["list sessions"]
}
func (f *fakeBackend) Batch(_ context.Context, ops []command) ([]error, error) {
	f.batches = append(f.batches, ops)
	names := make([]string, len(ops))
	errs := make([]error, len(ops))
	for i, op := range ops {
		names[i] = op.op()
		errs[i] = f.errs[op.op()]
	}
	f.calls = append(f.calls, "Batch ["+strings.Join(names, ", ")+"]")
	return errs, f.errs["batch"]
}
func (f *fakeBackend) Monitor(ctx context.Context, fn func(event) error) error {
	f.calls = append(f.calls, "Monitor")
	for _, e := range f.events {
		if err := fn(e); err != nil {
			return err
		}
	}
	return f.errs["monitor"]
}
func (f *fakeBackend) Close() error {
	f.closed = true
	return nil
}

// runFake runs a command line against f and returns stdout, stderr and
// the exit status main would use.
func runFake(t *testing.T, f *fakeBackend, line string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := runWith(context.Background(), strings.Fields(line), strings.NewReader(f.stdin), &stdout, &stderr, f.dial)
	code := exitCode(err, &stderr)
	return stdout.String(), stderr.String(), code
}

func TestRunOperations(t *testing.T) {
	tests := []struct {
		name       string
		line       string
		errs       map[string]error
		wantCalls  []string
		wantStderr string
		wantCode   int
	}{
		{"add tunnel", "add tunnel tid 1 ptid 2 local 192.0.2.1 remote 192.0.2.2 udp_sport 1 udp_dport 2",
			nil, []string{"CreateTunnel create tunnel 1"}, "", 0},
		{"del tunnel not found", "del tunnel tunnel_id 999",
			map[string]error{"delete tunnel 999": errors.New("tunnel not found")},
			[]string{"DeleteTunnel delete tunnel 999"}, "nl2tp: delete tunnel 999: tunnel not found\n", 1},
		{"add session with ignored offset", "add session tid 1 sid 2 psid 3 offset 8",
			nil, []string{"CreateSession create session 2 in tunnel 1"}, "Ignoring option \"offset\"\n", 0},
		{"del session by name", "del session name l2tpeth0",
			map[string]error{"delete session l2tpeth0": errors.New("session or its tunnel not found")},
			[]string{"DeleteSession delete session l2tpeth0"}, "nl2tp: delete session l2tpeth0: session or its tunnel not found\n", 1},
		{"modify", "modify session tid 1 sid 2 lns_mode on", nil, []string{"ModifySession modify session 2 in tunnel 1"}, "", 0},
		{"usage error", "add tunnel tid 1 bogus 2", nil, nil, "nl2tp: add tunnel: unknown keyword \"bogus\"\n", 2},
		{"unknown option", "-x show tunnel", nil, nil, "nl2tp: unknown option \"-x\"; try \"nl2tp help\"\n", 2},
		{"missing netns", "-n", nil, nil, "nl2tp: option -n needs a value\n", 2},
		{"force without batch", "-force show tunnel", nil, nil, "nl2tp: -force applies only with -batch\n", 2},
		{"dial failure", "show tunnel", map[string]error{"dial": errors.New("l2tp: the l2tp generic netlink family is missing: load l2tp_netlink")},
			nil, "nl2tp: l2tp: the l2tp generic netlink family is missing: load l2tp_netlink\n", 1},
		{"multi-line error is one line", "del tunnel tid 5", map[string]error{"delete tunnel 5": errors.New("bad\nthing")},
			[]string{"DeleteTunnel delete tunnel 5"}, "nl2tp: delete tunnel 5: bad thing\n", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			for k, v := range tt.errs {
				f.errs[k] = v
			}
			_, stderr, code := runFake(t, f, tt.line)
			if diff := cmp.Diff(tt.wantCalls, f.calls); diff != "" {
				t.Errorf("unexpected calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStderr, stderr); diff != "" {
				t.Errorf("unexpected stderr (-want +got):\n%s", diff)
			}
			if code != tt.wantCode {
				t.Errorf("exit status %d, want %d", code, tt.wantCode)
			}
			if len(f.calls) > 0 && !f.closed {
				t.Error("backend not closed")
			}
		})
	}
}

func TestRunPassesCommand(t *testing.T) {
	f := newFake()
	if _, stderr, code := runFake(t, f, "add session name s0 tid 1 sid 2 psid 3 cookie 0102030405060708 seq recv pw ppp"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := &addSessionCmd{Name: "s0", TunnelID: 1, SessionID: 2, PeerSessionID: 3, Pseudowire: pwPPP,
		Cookie: []byte{1, 2, 3, 4, 5, 6, 7, 8}, RecvSeq: true, L2Spec: l2specNone}
	if diff := cmp.Diff(command(want), f.cmds["CreateSession"]); diff != "" {
		t.Errorf("unexpected command (-want +got):\n%s", diff)
	}
}

func TestRunNetns(t *testing.T) {
	for _, tt := range []struct{ line, want string }{
		{"show tunnel", ""},
		{"-n blue show tunnel", "blue"},
		{"-netns /proc/1/ns/net show tunnel", "/proc/1/ns/net"},
		{"--netns red show tunnel", "red"},
	} {
		f := newFake()
		if _, stderr, code := runFake(t, f, tt.line); code != 0 {
			t.Fatalf("%s: exit %d: %s", tt.line, code, stderr)
		}
		if f.netns != tt.want {
			t.Errorf("%s: dialled netns %q, want %q", tt.line, f.netns, tt.want)
		}
	}
}

func TestNetnsPath(t *testing.T) {
	for in, want := range map[string]string{"": "", "blue": "/run/netns/blue", "/proc/1/ns/net": "/proc/1/ns/net", "./ns": "./ns"} {
		if got := netnsPath(in); got != want {
			t.Errorf("netnsPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRunShowFilters(t *testing.T) {
	f := newFake()
	f.tunnels = []tunnel{tunUDP4, tunIP6}
	f.sessions = []session{sessPlain, sessFull, sessRecvSeq}
	tests := []struct{ line, want string }{
		{"-j show tunnel", `[{"tunnel_id":1,"encap":"UDP","local":"192.0.2.1","peer":"192.0.2.2","peer_tunnel":2,"local_port":5000,"peer_port":6000,"checksum":false},{"tunnel_id":3,"encap":"IP","local":"2001:db8::1","peer":"2001:db8::2","peer_tunnel":4}]` + "\n"},
		{"-j show tunnel tunnel_id 3", `[{"tunnel_id":3,"encap":"IP","local":"2001:db8::1","peer":"2001:db8::2","peer_tunnel":4}]` + "\n"},
		{"-j show tunnel tunnel_id 42", "[]\n"},
		{"-j show session tunnel_id 1", `[{"session_id":10,"tunnel_id":1,"peer_session_id":20,"peer_tunnel_id":2,"interface":"l2tpeth0"},{"session_id":11,"tunnel_id":1,"peer_session_id":21,"peer_tunnel_id":2,"interface":"l2tpeth1","cookie":"0102030405060708","peer_cookie":"0a0b0c0d","reorder_timeout":100,"send_seq":null,"recv_seq":null}]` + "\n"},
		{"-j list session tunnel_id 1 session_id 10", `[{"session_id":10,"tunnel_id":1,"peer_session_id":20,"peer_tunnel_id":2,"interface":"l2tpeth0"}]` + "\n"},
		{"-j lst session session_id 12", `[{"session_id":12,"tunnel_id":3,"peer_session_id":22,"peer_tunnel_id":4,"interface":"l2tpeth2","recv_seq":null}]` + "\n"},
		{"-json show session name l2tpeth2", `[{"session_id":12,"tunnel_id":3,"peer_session_id":22,"peer_tunnel_id":4,"interface":"l2tpeth2","recv_seq":null}]` + "\n"},
		{"-j show session name nope", "[]\n"},
		{"show session name l2tpeth0", "Session 10 in tunnel 1\n  Peer session 20, tunnel 2\n  interface name: l2tpeth0\n  offset 0, peer offset 0\n\n"},
		{"-s -j show tunnel tid 3", `[{"tunnel_id":3,"encap":"IP","local":"2001:db8::1","peer":"2001:db8::2","peer_tunnel":4,"stats":{}}]` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			stdout, stderr, code := runFake(t, f, tt.line)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if diff := cmp.Diff(tt.want, stdout); diff != "" {
				t.Errorf("unexpected output (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunShowError(t *testing.T) {
	f := newFake()
	f.errs["list sessions"] = errors.New("operation not permitted")
	_, stderr, code := runFake(t, f, "show session")
	if code != 1 || stderr != "nl2tp: list sessions: operation not permitted\n" {
		t.Errorf("got exit %d, stderr %q", code, stderr)
	}
}

func TestRunMonitor(t *testing.T) {
	f := newFake()
	f.events = []event{
		{Kind: eventCreateTunnel, Tunnel: &tunIP6},
		{Lost: true},
		{Kind: eventDeleteSession, Session: &sessPlain},
	}
	stdout, stderr, code := runFake(t, f, "-j monitor")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := `{"event":"create_tunnel","tunnel":{"tunnel_id":3,"encap":"IP","local":"2001:db8::1","peer":"2001:db8::2","peer_tunnel":4}}
{"event":"lost"}
{"event":"delete_session","session":{"session_id":10,"tunnel_id":1,"peer_session_id":20,"peer_tunnel_id":2,"interface":"l2tpeth0"}}
`
	if diff := cmp.Diff(want, stdout); diff != "" {
		t.Errorf("unexpected output (-want +got):\n%s", diff)
	}

	f = newFake()
	f.errs["monitor"] = errors.New("receive failed")
	if _, stderr, code := runFake(t, f, "monitor"); code != 1 || stderr != "nl2tp: monitor: receive failed\n" {
		t.Errorf("got exit %d, stderr %q", code, stderr)
	}
}

func TestRunHelp(t *testing.T) {
	for _, line := range []string{"-h", "--help", "-help", "help", "h", "add help", "add tunnel help", "del -h", "show session --help", "modify help", "monitor -h"} {
		t.Run(line, func(t *testing.T) {
			f := newFake()
			stdout, stderr, code := runFake(t, f, line)
			if code != 0 || stderr != "" {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
			if !strings.Contains(stdout, "Usage:") || !strings.Contains(stdout, "Exit status") {
				t.Errorf("no usage text on stdout: %q", stdout)
			}
			if len(f.calls) > 0 {
				t.Errorf("help made calls: %v", f.calls)
			}
		})
	}
	stdout, _, _ := runFake(t, newFake(), "del help")
	if strings.Contains(stdout, "add tunnel") || !strings.Contains(stdout, "del session") {
		t.Errorf("del help shows the wrong section:\n%s", stdout)
	}
	stdout, _, _ = runFake(t, newFake(), "-V")
	if !strings.HasPrefix(stdout, "nl2tp ") {
		t.Errorf("-V printed %q", stdout)
	}
}

// TestUsageKeywords checks that the help text mentions every keyword the
// parser accepts.
func TestUsageKeywords(t *testing.T) {
	u := usage("")
	for k := range aliases {
		if !strings.Contains(u, k) {
			t.Errorf("usage text does not mention %q", k)
		}
	}
}

func TestExplainFallback(t *testing.T) {
	if explain(nil) != nil {
		t.Error("explain(nil) != nil")
	}
	base := fmt.Errorf("l2tp: session 7: cookie must be 4 or 8 bytes, got 5")
	err := explain(base)
	if err.Error() != "session 7: cookie must be 4 or 8 bytes, got 5" || !errors.Is(err, base) {
		t.Errorf("explain = %q", err)
	}
}

func TestRunAddressFamilies(t *testing.T) {
	f := newFake()
	if _, stderr, code := runFake(t, f, "add tunnel tid 1 ptid 1 local ::ffff:192.0.2.1 remote 192.0.2.2 udp_sport 1 udp_dport 1"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := f.cmds["CreateTunnel"].(*addTunnelCmd).Local
	if got != netip.MustParseAddr("192.0.2.1") {
		t.Errorf("local = %v, want the IPv4 address", got)
	}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

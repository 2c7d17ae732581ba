package main

// Tests of the nl2tp command against a real kernel: in the VM rig
// (make vmtest), or on a host with L2TP as root. Each test works in fresh
// network namespaces; the command's JSON output is parsed and compared
// with what the l2tp library reports for the same objects.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/internal/kerneltest"
	"github.com/nl2tp/nl2tp/l2tp"
	"golang.org/x/sys/unix"
)

// kns is a test namespace with the command and the library pointed at it.
type kns struct {
	t  *testing.T
	ns *kerneltest.NetNS
	c  *l2tp.Conn
}

func newKNS(t *testing.T) *kns {
	t.Helper()
	ns := kerneltest.NewNetNS(t)
	c, err := l2tp.Dial(&l2tp.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &kns{t: t, ns: ns, c: c}
}

// path names the namespace for -netns.
func (k *kns) path() string { return fmt.Sprintf("/proc/self/fd/%d", k.ns.FD()) }

// nl2tp runs the command in the namespace.
func (k *kns) nl2tp(args ...string) (stdout, stderr string, code int) {
	k.t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := run(ctx, append([]string{"-netns", k.path()}, args...), &out, &errb)
	code = exitCode(err, &errb)
	return out.String(), errb.String(), code
}

// ok runs the command and fails the test unless it succeeds.
func (k *kns) ok(args ...string) string {
	k.t.Helper()
	out, errs, code := k.nl2tp(args...)
	if code != 0 {
		k.t.Fatalf("nl2tp %s: exit %d: %s", strings.Join(args, " "), code, errs)
	}
	return out
}

// fail runs the command and checks that it fails with the exit status and
// an error line containing want.
func (k *kns) fail(code int, want string, args ...string) {
	k.t.Helper()
	_, errs, got := k.nl2tp(args...)
	if got != code || !strings.Contains(errs, want) || strings.Count(errs, "\n") != 1 {
		k.t.Errorf("nl2tp %s: exit %d, stderr %q; want exit %d and one line containing %q",
			strings.Join(args, " "), got, errs, code, want)
	}
}

// jsonList runs a -j command and decodes its array.
func (k *kns) jsonList(args ...string) []map[string]any {
	k.t.Helper()
	out := k.ok(append([]string{"-j"}, args...)...)
	var v []map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		k.t.Fatalf("nl2tp -j %s: output is not a JSON array: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// The JSON that iproute2's keys give for what the library reports, written
// out here independently of format.go.

func wantTunnelJSON(t l2tp.Tunnel, withStats bool) map[string]any {
	m := map[string]any{
		"tunnel_id":   float64(t.ID),
		"encap":       map[l2tp.EncapType]string{l2tp.EncapUDP: "UDP", l2tp.EncapIP: "IP"}[t.Encap],
		"local":       t.Local.String(),
		"peer":        t.Remote.String(),
		"peer_tunnel": float64(t.PeerID),
	}
	if t.Encap == l2tp.EncapUDP {
		m["local_port"] = float64(t.LocalPort)
		m["peer_port"] = float64(t.RemotePort)
		if t.Local.Is4() {
			m["checksum"] = t.UDPChecksum
		} else {
			m["checksum_tx"] = !t.UDPZeroChecksum6TX
			m["checksum_rx"] = !t.UDPZeroChecksum6RX
		}
	}
	if t.Version != 3 {
		m["version"] = float64(t.Version)
	}
	if withStats {
		m["stats"] = wantStatsJSON(t.Stats)
	}
	return m
}

func wantSessionJSON(s l2tp.Session, withStats bool) map[string]any {
	m := map[string]any{
		"session_id":      float64(s.ID),
		"tunnel_id":       float64(s.TunnelID),
		"peer_session_id": float64(s.PeerID),
		"peer_tunnel_id":  float64(s.PeerTunnelID),
	}
	if s.InterfaceName != "" {
		m["interface"] = s.InterfaceName
	}
	if len(s.Cookie) > 0 {
		m["cookie"] = fmt.Sprintf("%x", s.Cookie)
	}
	if len(s.PeerCookie) > 0 {
		m["peer_cookie"] = fmt.Sprintf("%x", s.PeerCookie)
	}
	if s.ReorderTimeout > 0 {
		m["reorder_timeout"] = float64(s.ReorderTimeout.Milliseconds())
	}
	if s.SendSeq {
		m["send_seq"] = nil
	}
	if s.RecvSeq {
		m["recv_seq"] = nil
	}
	if s.Pseudowire == l2tp.PseudowirePPP {
		m["pw_type"] = "ppp"
	}
	if s.LNSMode {
		m["lns_mode"] = true
	}
	if withStats {
		m["stats"] = wantStatsJSON(s.Stats)
	}
	return m
}

func wantStatsJSON(s l2tp.Stats) map[string]any {
	m := map[string]any{}
	for _, c := range []struct {
		key string
		bit l2tp.StatsMask
		v   uint64
	}{
		{"tx_packets", l2tp.StatTxPackets, s.TxPackets}, {"tx_bytes", l2tp.StatTxBytes, s.TxBytes},
		{"tx_errors", l2tp.StatTxErrors, s.TxErrors}, {"rx_packets", l2tp.StatRxPackets, s.RxPackets},
		{"rx_bytes", l2tp.StatRxBytes, s.RxBytes}, {"rx_seq_discards", l2tp.StatRxSeqDiscards, s.RxSeqDiscards},
		{"rx_cookie_discards", l2tp.StatRxCookieDiscards, s.RxCookieDiscards},
		{"rx_oos_packets", l2tp.StatRxOOSPackets, s.RxOOSPackets}, {"rx_errors", l2tp.StatRxErrors, s.RxErrors},
		{"rx_invalid", l2tp.StatRxInvalid, s.RxInvalid},
	} {
		if s.Present.Has(c.bit) {
			m[c.key] = float64(c.v)
		}
	}
	return m
}

func (k *kns) checkTunnels(args []string, withStats bool, want func(l2tp.Tunnel) bool) {
	k.t.Helper()
	k.checkList(args, withStats, func() ([]map[string]any, error) {
		ts, err := k.c.ListTunnels(context.Background())
		wants := []map[string]any{}
		for _, t := range ts {
			if want(t) {
				wants = append(wants, wantTunnelJSON(t, withStats))
			}
		}
		return wants, err
	})
}

func (k *kns) checkSessions(args []string, withStats bool, want func(l2tp.Session) bool) {
	k.t.Helper()
	k.checkList(args, withStats, func() ([]map[string]any, error) {
		ss, err := k.c.ListSessions(context.Background(), l2tp.SessionFilter{})
		wants := []map[string]any{}
		for _, s := range ss {
			if want(s) {
				wants = append(wants, wantSessionJSON(s, withStats))
			}
		}
		return wants, err
	})
}

// checkList compares what `nl2tp -j args` prints with what the library
// lists (library, in the same JSON form). Counters move on their own (the
// kernel sends IPv6 neighbour discovery and MLD packets on a session's
// interface a while after it comes up), so with statistics the library
// lists before and after the command, and the comparison counts only when
// the two agree: the command's view, taken between, is then the same.
func (k *kns) checkList(args []string, withStats bool, library func() ([]map[string]any, error)) {
	k.t.Helper()
	for attempt := 1; ; attempt++ {
		before, err := library()
		if err != nil {
			k.t.Fatal(err)
		}
		got := k.jsonList(args...)
		after, err := library()
		if err != nil {
			k.t.Fatal(err)
		}
		if withStats && !cmp.Equal(before, after) && attempt < 10 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		if diff := cmp.Diff(after, got); diff != "" {
			k.t.Errorf("nl2tp -j %s disagrees with the library (-want +got):\n%s", strings.Join(args, " "), diff)
		}
		return
	}
}

func (k *kns) addLoopbackAddrs() {
	k.t.Helper()
	for _, p := range []string{"192.0.2.1/32", "192.0.2.2/32", "2001:db8::1/128", "2001:db8::2/128"} {
		if err := k.ns.AddAddr("lo", netip.MustParsePrefix(p)); err != nil {
			k.t.Fatal(err)
		}
	}
}

func TestKernelCommands(t *testing.T) {
	kerneltest.Require(t)
	k := newKNS(t)
	k.addLoopbackAddrs()
	ctx := context.Background()
	all := func(l2tp.Tunnel) bool { return true }

	// Tunnels of every kind ip can make, and an L2TPv2 one.
	k.ok("add", "tunnel", "tunnel_id", "1", "peer_tunnel_id", "11", "local", "192.0.2.1", "remote", "192.0.2.2",
		"udp_sport", "5001", "udp_dport", "5002", "udp_csum", "on")
	k.ok("a", "tunnel", "tid", "2", "ptid", "12", "encap", "ip", "local", "192.0.2.1", "remote", "192.0.2.2")
	k.ok("add", "tunnel", "tid", "3", "ptid", "13", "local", "2001:db8::1", "remote", "2001:db8::2",
		"udp_sport", "5003", "udp_dport", "5004", "udp6_csum_tx", "off")
	k.ok("add", "tunnel", "tid", "4", "ptid", "14", "encap", "ip", "local", "2001:db8::1", "remote", "2001:db8::2")
	k.ok("add", "tunnel", "version", "2", "tid", "5", "ptid", "15", "local", "192.0.2.1", "remote", "192.0.2.2",
		"udp_sport", "1701", "udp_dport", "1702")

	got, err := k.c.GetTunnel(ctx, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got.Local != netip.MustParseAddr("2001:db8::1") || got.LocalPort != 5003 || !got.UDPZeroChecksum6TX || got.UDPZeroChecksum6RX {
		t.Errorf("tunnel 3 as the library reports it: %+v", got)
	}
	if v2, err := k.c.GetTunnel(ctx, 5); err != nil || v2.Version != 2 {
		t.Errorf("tunnel 5: version %d, %v; want 2", v2.Version, err)
	}

	k.checkTunnels([]string{"show", "tunnel"}, false, all)
	k.checkTunnels([]string{"-s", "show", "tunnel"}, true, all)
	k.checkTunnels([]string{"list", "tunnel", "tunnel_id", "3"}, false, func(t l2tp.Tunnel) bool { return t.ID == 3 })

	plain := k.ok("show", "tunnel", "tid", "1")
	wantPlain := "Tunnel 1, encap UDP\n  From 192.0.2.1 to 192.0.2.2\n  Peer tunnel 11\n" +
		"  UDP source / dest ports: 5001/5002\n  UDP checksum: enabled\n"
	if diff := cmp.Diff(wantPlain, plain); diff != "" {
		t.Errorf("unexpected plain output (-want +got):\n%s", diff)
	}

	// Sessions.
	k.ok("add", "session", "name", "nl2tpt0", "tunnel_id", "1", "session_id", "100", "peer_session_id", "200",
		"cookie", "0102030405060708", "peer_cookie", "a1a2a3a4", "seq", "both", "l2spec_type", "none")
	k.ok("add", "session", "tid", "2", "sid", "101", "psid", "201")
	k.ok("add", "session", "tid", "3", "sid", "102", "psid", "202", "reorder_timeout", "50", "lns_mode", "on", "seq", "recv")
	k.ok("add", "session", "tid", "4", "sid", "103", "psid", "203", "offset", "4", "peer_offset", "4")

	s, err := k.c.GetSessionByName(ctx, "nl2tpt0")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]byte{1, 2, 3, 4, 5, 6, 7, 8}, s.Cookie); diff != "" {
		t.Errorf("cookie (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]byte{0xa1, 0xa2, 0xa3, 0xa4}, s.PeerCookie); diff != "" {
		t.Errorf("peer cookie (-want +got):\n%s", diff)
	}
	if !s.SendSeq || !s.RecvSeq || s.TunnelID != 1 || s.ID != 100 || s.PeerID != 200 {
		t.Errorf("session nl2tpt0 as the library reports it: %+v", s)
	}

	allS := func(l2tp.Session) bool { return true }
	k.checkSessions([]string{"show", "session"}, false, allS)
	k.checkSessions([]string{"-s", "show", "session"}, true, allS)
	k.checkSessions([]string{"show", "session", "tunnel_id", "3"}, false, func(s l2tp.Session) bool { return s.TunnelID == 3 })
	k.checkSessions([]string{"show", "session", "session_id", "101"}, false, func(s l2tp.Session) bool { return s.ID == 101 })
	k.checkSessions([]string{"show", "session", "name", "nl2tpt0"}, false, func(s l2tp.Session) bool { return s.InterfaceName == "nl2tpt0" })
	k.checkSessions([]string{"show", "session", "tid", "1", "sid", "101"}, false, func(l2tp.Session) bool { return false })

	plain = k.ok("show", "session", "name", "nl2tpt0")
	wantPlain = "Session 100 in tunnel 1\n  Peer session 200, tunnel 11\n  interface name: nl2tpt0\n" +
		"  offset 0, peer offset 0\n  cookie 0102030405060708  peer cookie a1a2a3a4\n  sequence numbering: send recv\n"
	if diff := cmp.Diff(wantPlain, plain); diff != "" {
		t.Errorf("unexpected plain output (-want +got):\n%s", diff)
	}

	// modify, by name and by IDs; only what is given changes.
	k.ok("modify", "session", "name", "nl2tpt0", "seq", "none", "reorder_timeout", "100")
	s, err = k.c.GetSessionByName(ctx, "nl2tpt0")
	if err != nil {
		t.Fatal(err)
	}
	if s.SendSeq || s.RecvSeq || s.ReorderTimeout != 100*time.Millisecond || s.LNSMode {
		t.Errorf("after modify: send %v recv %v reorder %v lns %v; want false false 100ms false", s.SendSeq, s.RecvSeq, s.ReorderTimeout, s.LNSMode)
	}
	k.ok("modify", "session", "tid", "3", "sid", "102", "lns_mode", "off")
	s, err = k.c.GetSession(ctx, 3, 102)
	if err != nil {
		t.Fatal(err)
	}
	// The kernel keeps the timeout in jiffies: with HZ=250, 50ms reads
	// back as 52ms.
	if s.LNSMode || !s.RecvSeq || s.SendSeq || s.ReorderTimeout < 50*time.Millisecond || s.ReorderTimeout > 60*time.Millisecond {
		t.Errorf("after modify of lns_mode: %+v", s)
	}
	k.checkSessions([]string{"show", "session"}, false, allS)

	// Failures: one line, exit status 1, the reason.
	k.fail(1, "nl2tp: delete tunnel 999: tunnel not found", "del", "tunnel", "tunnel_id", "999")
	k.fail(1, "nl2tp: create tunnel 1: ", "add", "tunnel", "tid", "1", "ptid", "1", "local", "192.0.2.1", "remote", "192.0.2.2", "udp_sport", "6000", "udp_dport", "6001")
	k.fail(1, "nl2tp: create session 1 in tunnel 999: tunnel 999 not found", "add", "session", "tid", "999", "sid", "1", "psid", "1")
	// A duplicate session ID: refused in an IP-encap tunnel (6.12 lets
	// UDP-encap sessions share IDs).
	k.fail(1, "nl2tp: create session 101 in tunnel 2: ", "add", "session", "tid", "2", "sid", "101", "psid", "1")
	k.fail(1, "nl2tp: delete session 7 in tunnel 1: ", "del", "session", "tid", "1", "sid", "7")
	k.fail(1, "nl2tp: modify session nosuch: ", "modify", "session", "name", "nosuch", "seq", "both")
	k.fail(2, "add tunnel: unknown keyword", "add", "tunnel", "tid", "9", "frob", "1")
	// A PPP pseudowire in the L2TPv2 tunnel: Debian's cloud kernels have
	// no l2tp_ppp, and the error must say so.
	_, errs, code := k.nl2tp("add", "session", "tid", "5", "sid", "7", "psid", "8", "pw", "ppp")
	switch code {
	case 0:
		k.checkSessions([]string{"show", "session", "tid", "5"}, false, func(s l2tp.Session) bool { return s.TunnelID == 5 })
	case 1:
		if !strings.Contains(errs, "l2tp_ppp") {
			t.Errorf("PPP session failed without naming l2tp_ppp: %q", errs)
		}
	default:
		t.Errorf("PPP session: exit %d: %s", code, errs)
	}
	// An eth pseudowire in an L2TPv2 tunnel is refused before it is sent.
	k.fail(1, "create session 9 in tunnel 5: ", "add", "session", "tid", "5", "sid", "9", "psid", "9")

	// Deletes.
	// The kernel deletes sessions asynchronously (6.12): wait a little.
	gone := func(what string, get func() error) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := get()
			if errors.Is(err, l2tp.ErrNotFound) {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%s after delete: %v, want ErrNotFound", what, err)
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	k.ok("del", "session", "name", "nl2tpt0")
	gone("session nl2tpt0", func() error { _, err := k.c.GetSessionByName(ctx, "nl2tpt0"); return err })
	k.ok("delete", "session", "tid", "2", "sid", "101")
	gone("session 101", func() error { _, err := k.c.GetSession(ctx, 2, 101); return err })
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		k.ok("del", "tunnel", "tid", id)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ts, err := k.c.ListTunnels(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ts) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tunnels left after delete: %+v", ts)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if out := k.ok("-j", "-p", "show", "tunnel"); out != "[ ]\n" {
		t.Errorf("show tunnel with none: %q", out)
	}
}

// TestKernelNamedNetns checks -n NAME, a namespace bound under /run/netns
// as "ip netns add" makes them.
func TestKernelNamedNetns(t *testing.T) {
	kerneltest.Require(t)
	k := newKNS(t)
	name := fmt.Sprintf("nl2tp-test-%d", os.Getpid())
	target := filepath.Join("/run/netns", name)
	if err := os.MkdirAll("/run/netns", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(target, nil, 0o444); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(target)
	if err := unix.Mount(k.path(), target, "", unix.MS_BIND, ""); err != nil {
		if kerneltest.InVM() {
			t.Fatalf("bind mount of the namespace: %v", err)
		}
		t.Skipf("bind mount of the namespace: %v", err)
	}
	defer unix.Unmount(target, unix.MNT_DETACH)
	k.addLoopbackAddrs()
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"-n", name, "add", "tunnel", "tid", "42", "ptid", "42",
		"encap", "ip", "local", "192.0.2.1", "remote", "192.0.2.2"}, &out, &errb)
	if err != nil {
		t.Fatalf("nl2tp -n %s add tunnel: %v", name, err)
	}
	if _, err := k.c.GetTunnel(context.Background(), 42); err != nil {
		t.Errorf("tunnel made with -n %s is not in that namespace: %v", name, err)
	}
}

func TestKernelMonitor(t *testing.T) {
	kerneltest.Require(t)
	k := newKNS(t)
	k.addLoopbackAddrs()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		var errb bytes.Buffer
		err := run(ctx, []string{"-netns", k.path(), "-j", "monitor"}, pw, &errb)
		if err != nil {
			err = fmt.Errorf("%w: %s", err, errb.String())
		}
		pw.CloseWithError(io.EOF)
		done <- err
	}()
	lines := make(chan map[string]any, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("monitor printed a line that is not JSON: %q", sc.Text())
				continue
			}
			lines <- m
		}
		close(lines)
	}()
	// Events go to subscribers in every namespace: look only at ours,
	// which have IDs no other test uses.
	const tid, sid = 7001, 7002
	next := func(timeout time.Duration) map[string]any {
		deadline := time.After(timeout)
		for {
			select {
			case m, ok := <-lines:
				if !ok {
					t.Fatalf("monitor ended: %v", <-done)
				}
				obj, _ := m["tunnel"].(map[string]any)
				if obj == nil {
					obj, _ = m["session"].(map[string]any)
				}
				if obj != nil && obj["tunnel_id"] == float64(tid) {
					return m
				}
			case <-deadline:
				return nil
			}
		}
	}
	// Wait until the subscription is in place: modify a tunnel until the
	// monitor reports it.
	k.ok("add", "tunnel", "tid", fmt.Sprint(tid), "ptid", "1", "encap", "ip", "local", "192.0.2.1", "remote", "192.0.2.2")
	for i := 0; ; i++ {
		if err := k.c.ModifyTunnel(context.Background(), tid, 0); err != nil {
			t.Fatal(err)
		}
		m := next(500 * time.Millisecond)
		if m != nil && m["event"] == "modify_tunnel" {
			break
		}
		if i == 20 {
			t.Fatal("monitor reported no event in 10s")
		}
	}
	drain := func() {
		for next(200*time.Millisecond) != nil {
		}
	}
	drain()

	expect := func(event string, check func(obj map[string]any)) {
		t.Helper()
		m := next(10 * time.Second)
		if m == nil {
			t.Fatalf("no %s event", event)
		}
		if m["event"] != event {
			t.Fatalf("event %v, want %s: %v", m["event"], event, m)
		}
		obj, _ := m["tunnel"].(map[string]any)
		if obj == nil {
			obj, _ = m["session"].(map[string]any)
		}
		check(obj)
	}
	wantTunnel := func(obj map[string]any) {
		tn, err := k.c.GetTunnel(context.Background(), tid)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantTunnelJSON(tn, false), obj); diff != "" {
			t.Errorf("event object (-want +got):\n%s", diff)
		}
	}
	wantSession := func(obj map[string]any) {
		s, err := k.c.GetSession(context.Background(), tid, sid)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(wantSessionJSON(s, false), obj); diff != "" {
			t.Errorf("event object (-want +got):\n%s", diff)
		}
	}
	if err := k.c.ModifyTunnel(context.Background(), tid, 0); err != nil {
		t.Fatal(err)
	}
	expect("modify_tunnel", wantTunnel)
	k.ok("add", "session", "tid", fmt.Sprint(tid), "sid", fmt.Sprint(sid), "psid", "5", "name", "nl2tpmon0")
	expect("create_session", wantSession)
	k.ok("modify", "session", "name", "nl2tpmon0", "seq", "both")
	expect("modify_session", wantSession)
	k.ok("del", "session", "name", "nl2tpmon0")
	expect("delete_session", func(obj map[string]any) {
		if obj["session_id"] != float64(sid) || obj["interface"] != "nl2tpmon0" {
			t.Errorf("delete_session object: %v", obj)
		}
	})
	k.ok("del", "tunnel", "tid", fmt.Sprint(tid))
	expect("delete_tunnel", func(obj map[string]any) {
		if obj["tunnel_id"] != float64(tid) || obj["encap"] != "IP" {
			t.Errorf("delete_tunnel object: %v", obj)
		}
	})
	// A created tunnel: make another with the same ID once the old one is
	// gone.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, errs, code := k.nl2tp("add", "tunnel", "tid", fmt.Sprint(tid), "ptid", "2", "encap", "ip", "local", "192.0.2.1", "remote", "192.0.2.2")
		if code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("re-create tunnel: %s", errs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	expect("create_tunnel", wantTunnel)
	cancel()
	if err := <-done; err != nil {
		t.Errorf("monitor: %v", err)
	}
}

func TestKernelBatch(t *testing.T) {
	kerneltest.Require(t)
	k := newKNS(t)
	k.addLoopbackAddrs()
	ctx := context.Background()
	var b strings.Builder
	b.WriteString("# one IP-encap tunnel (session IDs unique) and its sessions\n")
	b.WriteString("l2tp add tunnel tid 1 ptid 1 encap ip local 192.0.2.1 remote 192.0.2.2\n")
	const n = 300
	dupLine := 0
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "add session tid 1 sid %d psid %d\n", i, i)
		if i == 150 {
			b.WriteString("add session tid 1 sid 7 psid 7\n") // a duplicate
			dupLine = strings.Count(b.String(), "\n")
		}
	}
	b.WriteString("show session tid 1 sid 7\n")
	b.WriteString("del session tid 1 sid 9999\n") // missing
	badLine := strings.Count(b.String(), "\n")
	b.WriteString("del session tid 1 sid 1\n")
	file := filepath.Join(t.TempDir(), "batch")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	// Without -force: the first batch (tunnel and sessions) runs as a
	// whole, its failure is named, and nothing after it runs.
	out, errs, code := k.nl2tp("-batch", file)
	wantErr := fmt.Sprintf("nl2tp: batch line %d: create session 7 in tunnel 1: ", dupLine)
	if code != 1 || !strings.HasPrefix(errs, wantErr) || strings.Count(errs, "\n") != 2 ||
		!strings.Contains(errs, "1 of 305 commands failed, 3 not run") {
		t.Errorf("batch without -force: exit %d, stderr:\n%s\nwant exit 1 and %q first", code, errs, wantErr)
	}
	if out != "" {
		t.Errorf("batch without -force ran show: %q", out)
	}
	ss, err := k.c.ListSessions(ctx, l2tp.SessionFilter{TunnelID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != n {
		t.Errorf("%d sessions after the batch, want %d", len(ss), n)
	}

	// With -force, in a fresh namespace (a deleted tunnel's sessions
	// linger a while): every failure named, the rest done.
	k = newKNS(t)
	k.addLoopbackAddrs()
	out, errs, code = k.nl2tp("-j", "-batch", file, "-force")
	lines := strings.Split(strings.TrimSuffix(errs, "\n"), "\n")
	if code != 1 || len(lines) != 3 ||
		!strings.HasPrefix(lines[0], wantErr) ||
		lines[1] != fmt.Sprintf("nl2tp: batch line %d: delete session 9999 in tunnel 1: session or its tunnel not found", badLine) ||
		!strings.Contains(lines[2], "2 of 305 commands failed") {
		t.Errorf("batch with -force: exit %d, stderr:\n%s", code, errs)
	}
	var shown []map[string]any
	if err := json.Unmarshal([]byte(out), &shown); err != nil || len(shown) != 1 || shown[0]["session_id"] != float64(7) {
		t.Errorf("show in the batch printed %q (%v)", out, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ss, err = k.c.ListSessions(ctx, l2tp.SessionFilter{TunnelID: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(ss) == n-1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(ss) != n-1 {
		t.Errorf("%d sessions after the forced batch, want %d", len(ss), n-1)
	}
}

// TestKernelTraffic sends traffic through an Ethernet pseudowire made
// with nl2tp in two namespaces, then checks that "nl2tp -s" shows the
// counters the library reports, and that they count the traffic.
func TestKernelTraffic(t *testing.T) {
	kerneltest.Require(t)
	a, b := newKNS(t), newKNS(t)
	kerneltest.Veth(t, a.ns, "veth-a", []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")},
		b.ns, "veth-b", []netip.Prefix{netip.MustParsePrefix("192.0.2.2/24")})
	a.ok("add", "tunnel", "tid", "1", "ptid", "2", "local", "192.0.2.1", "remote", "192.0.2.2", "udp_sport", "5000", "udp_dport", "5000")
	b.ok("add", "tunnel", "tid", "2", "ptid", "1", "local", "192.0.2.2", "remote", "192.0.2.1", "udp_sport", "5000", "udp_dport", "5000")
	a.ok("add", "session", "name", "l2tp-a", "tid", "1", "sid", "10", "psid", "20", "cookie", "0a0b0c0d", "peer_cookie", "01020304")
	b.ok("add", "session", "name", "l2tp-b", "tid", "2", "sid", "20", "psid", "10", "cookie", "01020304", "peer_cookie", "0a0b0c0d")
	for _, end := range []struct {
		k    *kns
		name string
		addr string
	}{{a, "l2tp-a", "198.51.100.1/24"}, {b, "l2tp-b", "198.51.100.2/24"}} {
		if err := end.k.ns.AddAddr(end.name, netip.MustParsePrefix(end.addr)); err != nil {
			t.Fatal(err)
		}
		if err := end.k.ns.LinkUp(end.name); err != nil {
			t.Fatal(err)
		}
	}
	echo := kerneltest.UDPEchoServer(t, b.ns, netip.MustParseAddrPort("198.51.100.2:0"))
	const pings = 5
	got, err := kerneltest.UDPPing(a.ns, echo, pings, 100, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got < pings-1 { // the first may wait for ARP
		t.Errorf("%d of %d pings came back through the pseudowire", got, pings)
	}
	for _, k := range []*kns{a, b} {
		k.checkSessions([]string{"-s", "show", "session"}, true, func(l2tp.Session) bool { return true })
		k.checkTunnels([]string{"-s", "show", "tunnel"}, true, func(l2tp.Tunnel) bool { return true })
		v := k.jsonList("-s", "show", "session")
		st, _ := v[0]["stats"].(map[string]any)
		for _, key := range []string{"tx_packets", "rx_packets", "tx_bytes", "rx_bytes"} {
			if n, _ := st[key].(float64); n < float64(got) {
				t.Errorf("%s %s = %v, want at least %d", v[0]["interface"], key, st[key], got)
			}
		}
		plain := k.ok("-s", "show", "session")
		if !strings.Contains(plain, "\n  RX: packets ") || !strings.Contains(plain, "\n  TX: packets ") {
			t.Errorf("plain -s output has no counters:\n%s", plain)
		}
	}
}

package l2tp_test

// The kernel tests talk to the real L2TP of a Linux kernel: in the VMs of
// internal/vmtest (make vmtest), or on a host whose kernel has L2TP when
// run as root. Elsewhere kerneltest.Require skips them. Each test works in
// network namespaces of its own.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/nl2tp/nl2tp/internal/kerneltest"
	"github.com/nl2tp/nl2tp/l2tp"
	"golang.org/x/sys/unix"
)

// kernelTimeout bounds the kernel exchanges of one test.
const kernelTimeout = 3 * time.Minute

// Underlay addresses of the tests (documentation ranges).
var (
	addrA4 = netip.MustParseAddr("192.0.2.1")
	addrB4 = netip.MustParseAddr("192.0.2.2")
	addrA6 = netip.MustParseAddr("2001:db8:1::1")
	addrB6 = netip.MustParseAddr("2001:db8:1::2")
)

// cmpOpts compares tunnels and sessions; the counters are checked apart.
var cmpOpts = cmp.Options{
	cmp.Comparer(func(a, b netip.Addr) bool { return a == b }),
	cmpopts.IgnoreFields(l2tp.Tunnel{}, "Stats"),
	cmpopts.IgnoreFields(l2tp.Session{}, "Stats"),
	cmpopts.EquateEmpty(),
}

func kernelCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), kernelTimeout)
	t.Cleanup(cancel)
	return ctx
}

// kernelConn checks that the kernel has L2TP, makes a fresh network
// namespace and dials l2tp in it.
func kernelConn(t testing.TB) (*kerneltest.NetNS, *l2tp.Conn) {
	t.Helper()
	kerneltest.Require(t)
	ns := kerneltest.NewNetNS(t)
	return ns, dialNS(t, ns)
}

func dialNS(t testing.TB, ns *kerneltest.NetNS) *l2tp.Conn {
	t.Helper()
	c, err := l2tp.Dial(&l2tp.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// withUnderlay gives ns the addresses 192.0.2.1/24 and 2001:db8:1::1/64 on
// a veth pair whose both ends it holds, so that static tunnels can bind to
// them and reach 192.0.2.2 and 2001:db8:1::2.
func withUnderlay(t testing.TB, ns *kerneltest.NetNS) {
	t.Helper()
	kerneltest.Veth(t, ns, "ul0", []netip.Prefix{netip.PrefixFrom(addrA4, 24), netip.PrefixFrom(addrA6, 64)}, ns, "ul1", nil)
}

// checkErr fails the test unless err matches every target.
func checkErr(t testing.TB, what string, err error, targets ...error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error, want one matching %v", what, targets)
		return
	}
	for _, target := range targets {
		if !errors.Is(err, target) {
			t.Errorf("%s: got %q, which does not match %v", what, err, target)
		}
	}
}

func sortSessions(ss []l2tp.Session) {
	slices.SortFunc(ss, func(a, b l2tp.Session) int {
		if a.TunnelID != b.TunnelID {
			return int(a.TunnelID) - int(b.TunnelID)
		}
		return int(a.ID) - int(b.ID)
	})
}

func TestKernelNoop(t *testing.T) {
	_, c := kernelConn(t)
	ctx := kernelCtx(t)
	if err := c.Noop(ctx); err != nil {
		t.Fatalf("Noop: %v", err)
	}
	if c.PortID() == 0 {
		t.Error("PortID is 0 for a dialled Conn")
	}
	ts, err := c.ListTunnels(ctx)
	if err != nil || len(ts) != 0 {
		t.Errorf("ListTunnels in a fresh namespace: %v, %v; want none", ts, err)
	}
	ss, err := c.ListSessions(ctx, l2tp.SessionFilter{})
	if err != nil || len(ss) != 0 {
		t.Errorf("ListSessions in a fresh namespace: %v, %v; want none", ss, err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	checkErr(t, "Noop after Close", c.Noop(ctx), net.ErrClosed)
	_, err = c.GetTunnel(ctx, 1)
	checkErr(t, "GetTunnel after Close", err, net.ErrClosed)
}

// TestKernelStaticTunnels creates static tunnels of every kind and checks
// that the kernel reports exactly what was created.
func TestKernelStaticTunnels(t *testing.T) {
	ns, c := kernelConn(t)
	withUnderlay(t, ns)
	ctx := kernelCtx(t)
	tests := []struct {
		name string
		tun  l2tp.Tunnel
	}{
		{"UDP/IPv4", l2tp.Tunnel{ID: 101, PeerID: 201, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 10001, RemotePort: 10002}},
		{"UDP/IPv4/checksum", l2tp.Tunnel{ID: 102, PeerID: 202, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 10003, RemotePort: 10004, UDPChecksum: true}},
		{"UDP/IPv4/L2TPv2", l2tp.Tunnel{ID: 103, PeerID: 203, Version: 2, Local: addrA4, Remote: addrB4, LocalPort: 10005, RemotePort: 1701}},
		{"UDP/IPv6", l2tp.Tunnel{ID: 104, PeerID: 204, Version: 3, Local: addrA6, Remote: addrB6, LocalPort: 10006, RemotePort: 10007}},
		{"UDP/IPv6/zero-checksums", l2tp.Tunnel{ID: 105, PeerID: 205, Version: 3, Local: addrA6, Remote: addrB6, LocalPort: 10008, RemotePort: 10009, UDPZeroChecksum6TX: true, UDPZeroChecksum6RX: true}},
		{"UDP/IPv6/zero-checksum-rx", l2tp.Tunnel{ID: 106, PeerID: 206, Version: 3, Local: addrA6, Remote: addrB6, LocalPort: 10010, RemotePort: 10011, UDPZeroChecksum6RX: true}},
		{"IP/IPv4", l2tp.Tunnel{ID: 107, PeerID: 207, Version: 3, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4}},
		{"IP/IPv6", l2tp.Tunnel{ID: 108, PeerID: 208, Version: 3, Encap: l2tp.EncapIP, Local: addrA6, Remote: addrB6}},
	}
	var want []l2tp.Tunnel
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created, err := c.CreateTunnel(ctx, tt.tun)
			if err != nil {
				t.Fatalf("CreateTunnel: %v", err)
			}
			if diff := cmp.Diff(tt.tun, created, cmpOpts); diff != "" {
				t.Errorf("CreateTunnel returned (-want +got):\n%s", diff)
			}
			got, err := c.GetTunnel(ctx, tt.tun.ID)
			if err != nil {
				t.Fatalf("GetTunnel: %v", err)
			}
			if diff := cmp.Diff(tt.tun, got, cmpOpts); diff != "" {
				t.Errorf("GetTunnel (-want +got):\n%s", diff)
			}
			if got.Stats.Present != l2tp.StatAll {
				t.Errorf("Stats.Present = %#x, want every counter (%#x)", got.Stats.Present, l2tp.StatAll)
			}
			if s := got.Stats; s.TxPackets != 0 || s.RxPackets != 0 || s.TxBytes != 0 || s.RxBytes != 0 {
				t.Errorf("a new tunnel has traffic counters %+v", s)
			}
		})
		want = append(want, tt.tun)
	}

	t.Run("kernel-picked port", func(t *testing.T) {
		tun := l2tp.Tunnel{ID: 109, PeerID: 209, Version: 3, Local: addrA4, Remote: addrB4, RemotePort: 10012}
		got, err := c.CreateTunnel(ctx, tun)
		if err != nil {
			t.Fatalf("CreateTunnel: %v", err)
		}
		if got.LocalPort == 0 {
			t.Errorf("CreateTunnel with LocalPort 0 returned LocalPort 0, want the port the kernel chose")
		}
		tun.LocalPort = got.LocalPort
		if diff := cmp.Diff(tun, got, cmpOpts); diff != "" {
			t.Errorf("CreateTunnel returned (-want +got):\n%s", diff)
		}
		want = append(want, tun)
	})

	list, err := c.ListTunnels(ctx)
	if err != nil {
		t.Fatalf("ListTunnels: %v", err)
	}
	slices.SortFunc(list, func(a, b l2tp.Tunnel) int { return int(a.ID) - int(b.ID) })
	if diff := cmp.Diff(want, list, cmpOpts); diff != "" {
		t.Errorf("ListTunnels (-want +got):\n%s", diff)
	}

	// ModifyTunnel is accepted (it changes nothing since 5.10).
	if err := c.ModifyTunnel(ctx, 101, 0); err != nil {
		t.Errorf("ModifyTunnel: %v", err)
	}

	// DeleteTunnel, DeleteTunnels.
	if err := c.DeleteTunnel(ctx, 101); err != nil {
		t.Fatalf("DeleteTunnel: %v", err)
	}
	// Teardown is asynchronous: 6.12 still finds a tunnel just deleted.
	waitGone(t, "tunnel 101", func() error { _, err := c.GetTunnel(ctx, 101); return err })
	errs, err := c.DeleteTunnels(ctx, []uint32{102, 101, 103, 0, 104})
	if err != nil {
		t.Fatalf("DeleteTunnels: %v", err)
	}
	if len(errs) != 5 || errs[0] != nil || errs[2] != nil || errs[4] != nil {
		t.Errorf("DeleteTunnels results %v, want errors at 1 and 3 only", errs)
	} else {
		checkErr(t, "DeleteTunnels of a deleted tunnel", errs[1], l2tp.ErrNotFound, unix.ENODEV)
		checkErr(t, "DeleteTunnels of tunnel 0", errs[3], l2tp.ErrInvalid)
	}
	var ids []uint32
	waitFor(t, 5*time.Second, "the deleted tunnels to go", func() bool {
		list, err := c.ListTunnels(ctx)
		if err != nil {
			t.Fatalf("ListTunnels: %v", err)
		}
		ids = ids[:0]
		for _, tun := range list {
			ids = append(ids, tun.ID)
		}
		slices.Sort(ids)
		return slices.Equal(ids, []uint32{105, 106, 107, 108, 109})
	})
}

func TestKernelTunnelErrors(t *testing.T) {
	ns, c := kernelConn(t)
	withUnderlay(t, ns)
	ctx := kernelCtx(t)
	tun := l2tp.Tunnel{ID: 7, PeerID: 8, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 11001, RemotePort: 11002}
	if _, err := c.CreateTunnel(ctx, tun); err != nil {
		t.Fatalf("CreateTunnel: %v", err)
	}

	t.Run("duplicate ID", func(t *testing.T) {
		dup := l2tp.Tunnel{ID: 7, PeerID: 9, Version: 3, Encap: l2tp.EncapIP, Local: addrA6, Remote: addrB6}
		_, err := c.CreateTunnel(ctx, dup)
		checkErr(t, "CreateTunnel with an ID in use", err, unix.EEXIST, fs.ErrExist)
	})
	t.Run("missing", func(t *testing.T) {
		checkErr(t, "DeleteTunnel of a missing tunnel", c.DeleteTunnel(ctx, 4242), l2tp.ErrNotFound, unix.ENODEV)
		_, err := c.GetTunnel(ctx, 4242)
		checkErr(t, "GetTunnel of a missing tunnel", err, l2tp.ErrNotFound, unix.ENODEV)
		checkErr(t, "ModifyTunnel of a missing tunnel", c.ModifyTunnel(ctx, 4242, 0), l2tp.ErrNotFound, unix.ENODEV)
	})
	t.Run("address not local", func(t *testing.T) {
		// The kernel's socket for a static tunnel cannot bind.
		bad := l2tp.Tunnel{ID: 10, PeerID: 11, Version: 3, Local: netip.MustParseAddr("198.51.100.77"), Remote: addrB4, LocalPort: 11003, RemotePort: 11004}
		_, err := c.CreateTunnel(ctx, bad)
		checkErr(t, "CreateTunnel from an address the namespace lacks", err, unix.EADDRNOTAVAIL)
		if _, err := c.GetTunnel(ctx, 10); !errors.Is(err, l2tp.ErrNotFound) {
			t.Errorf("GetTunnel after a failed create: %v, want ErrNotFound", err)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, bad := range []l2tp.Tunnel{
			{ID: 12, PeerID: 13, Version: 4, Local: addrA4, Remote: addrB4, RemotePort: 1},
			{ID: 12, PeerID: 13, Version: 2, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4},
			{ID: 12, PeerID: 13, Version: 3, Local: addrA4, Remote: addrB6, RemotePort: 1},
			{ID: 12, PeerID: 13, Version: 3, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4, LocalPort: 5},
			{ID: 0, PeerID: 13, Version: 3, Local: addrA4, Remote: addrB4, RemotePort: 1},
		} {
			_, err := c.CreateTunnel(ctx, bad)
			checkErr(t, fmt.Sprintf("CreateTunnel(%+v)", bad), err, l2tp.ErrInvalid)
		}
		if _, err := c.GetTunnel(ctx, 12); !errors.Is(err, l2tp.ErrNotFound) {
			t.Errorf("GetTunnel after invalid creates: %v, want ErrNotFound", err)
		}
	})
	t.Run("batch", func(t *testing.T) {
		errs, err := c.CreateTunnels(ctx, []l2tp.Tunnel{
			{ID: 20, PeerID: 30, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 11020, RemotePort: 11030},
			{ID: 7, PeerID: 31, Version: 3, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4}, // ID in use
			{ID: 21, PeerID: 0, Version: 3, Local: addrA4, Remote: addrB4, RemotePort: 1},       // invalid
			{ID: 22, PeerID: 32, Version: 3, Encap: l2tp.EncapIP, Local: addrA6, Remote: addrB6},
		})
		if err != nil {
			t.Fatalf("CreateTunnels: %v", err)
		}
		if len(errs) != 4 || errs[0] != nil || errs[3] != nil {
			t.Fatalf("CreateTunnels results %v, want errors at 1 and 2 only", errs)
		}
		checkErr(t, "CreateTunnels with an ID in use", errs[1], unix.EEXIST, fs.ErrExist)
		checkErr(t, "CreateTunnels with PeerID 0", errs[2], l2tp.ErrInvalid)
		for _, id := range []uint32{20, 22} {
			if _, err := c.GetTunnel(ctx, id); err != nil {
				t.Errorf("GetTunnel %d after CreateTunnels: %v", id, err)
			}
		}
		if _, err := c.GetTunnel(ctx, 21); !errors.Is(err, l2tp.ErrNotFound) {
			t.Errorf("GetTunnel 21 (invalid, not sent): %v, want ErrNotFound", err)
		}
	})
}

// TestKernelNamespaces checks that tunnels live in the namespace of the
// Conn, chosen by descriptor or by path.
func TestKernelNamespaces(t *testing.T) {
	ns1, c1 := kernelConn(t)
	ns2 := kerneltest.NewNetNS(t)
	withUnderlay(t, ns1)
	withUnderlay(t, ns2)
	ctx := kernelCtx(t)
	c2, err := l2tp.Dial(&l2tp.Config{NetNSPath: fmt.Sprintf("/proc/self/fd/%d", ns2.FD())})
	if err != nil {
		t.Fatalf("Dial with NetNSPath: %v", err)
	}
	defer c2.Close()
	t1 := l2tp.Tunnel{ID: 5, PeerID: 6, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 12001, RemotePort: 12002}
	if _, err := c1.CreateTunnel(ctx, t1); err != nil {
		t.Fatalf("CreateTunnel in namespace 1: %v", err)
	}
	if _, err := c2.GetTunnel(ctx, 5); !errors.Is(err, l2tp.ErrNotFound) {
		t.Errorf("namespace 2 sees tunnel 5 of namespace 1: %v", err)
	}
	t2 := l2tp.Tunnel{ID: 5, PeerID: 7, Version: 3, Encap: l2tp.EncapIP, Local: addrA6, Remote: addrB6}
	if _, err := c2.CreateTunnel(ctx, t2); err != nil {
		t.Fatalf("CreateTunnel with the same ID in namespace 2: %v", err)
	}
	// A third Conn on namespace 2's descriptor sees what c2 made.
	c3 := dialNS(t, ns2)
	got, err := c3.GetTunnel(ctx, 5)
	if err != nil {
		t.Fatalf("GetTunnel in namespace 2: %v", err)
	}
	if diff := cmp.Diff(t2, got, cmpOpts); diff != "" {
		t.Errorf("tunnel 5 in namespace 2 (-want +got):\n%s", diff)
	}
	got, err = c1.GetTunnel(ctx, 5)
	if err != nil {
		t.Fatalf("GetTunnel in namespace 1: %v", err)
	}
	if diff := cmp.Diff(t1, got, cmpOpts); diff != "" {
		t.Errorf("tunnel 5 in namespace 1 (-want +got):\n%s", diff)
	}
}

// TestKernelSessions creates, gets, lists, modifies and deletes sessions.
func TestKernelSessions(t *testing.T) {
	ns, c := kernelConn(t)
	withUnderlay(t, ns)
	ctx := kernelCtx(t)
	for _, tun := range []l2tp.Tunnel{
		{ID: 11, PeerID: 21, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 13001, RemotePort: 13002},
		{ID: 12, PeerID: 22, Version: 3, Encap: l2tp.EncapIP, Local: addrA6, Remote: addrB6},
	} {
		if _, err := c.CreateTunnel(ctx, tun); err != nil {
			t.Fatalf("CreateTunnel: %v", err)
		}
	}
	s1 := l2tp.Session{
		TunnelID: 11, ID: 0x10001, PeerID: 0x20001, Pseudowire: l2tp.PseudowireEth,
		Cookie:     []byte{0xde, 0xad, 0xbe, 0xef},
		PeerCookie: []byte{1, 2, 3, 4, 5, 6, 7, 8},
		L2Spec:     l2tp.L2SpecDefault,
		SendSeq:    true, RecvSeq: true,
		ReorderTimeout: 240 * time.Millisecond, // a whole number of ticks for HZ 100, 250 and 1000
		InterfaceName:  "nl2tp-s1",
	}
	s2 := l2tp.Session{TunnelID: 11, ID: 0x10002, PeerID: 0x20002, Pseudowire: l2tp.PseudowireEth, LNSMode: true}
	s3 := l2tp.Session{
		TunnelID: 12, ID: 0x10003, PeerID: 0x20003, Pseudowire: l2tp.PseudowireEth,
		Cookie:        []byte{9, 8, 7, 6, 5, 4, 3, 2},
		InterfaceName: "nl2tp-s3",
	}
	// What the kernel reports: the peer's tunnel ID, no L2Spec.
	expect := func(s l2tp.Session, peerTunnel uint32, ifname string) l2tp.Session {
		s.PeerTunnelID = peerTunnel
		s.L2Spec = l2tp.L2SpecNone
		if ifname != "" {
			s.InterfaceName = ifname
		}
		return s
	}
	got1, err := c.CreateSession(ctx, s1)
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	want1 := expect(s1, 21, "")
	if diff := cmp.Diff(want1, got1, cmpOpts); diff != "" {
		t.Errorf("CreateSession returned (-want +got):\n%s", diff)
	}
	if got1.Stats.Present != l2tp.StatAll {
		t.Errorf("session Stats.Present = %#x, want every counter (%#x)", got1.Stats.Present, l2tp.StatAll)
	}
	got2, err := c.CreateSession(ctx, s2)
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if !strings.HasPrefix(got2.InterfaceName, "l2tpeth") {
		t.Errorf("a session created without an interface name got %q, want a kernel-chosen l2tpethN", got2.InterfaceName)
	}
	want2 := expect(s2, 21, got2.InterfaceName)
	if diff := cmp.Diff(want2, got2, cmpOpts); diff != "" {
		t.Errorf("CreateSession returned (-want +got):\n%s", diff)
	}
	if _, err := ns.LinkIndex(got2.InterfaceName); err != nil {
		t.Errorf("the session's interface: %v", err)
	}
	got3, err := c.CreateSession(ctx, s3)
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	want3 := expect(s3, 22, "")
	if diff := cmp.Diff(want3, got3, cmpOpts); diff != "" {
		t.Errorf("CreateSession returned (-want +got):\n%s", diff)
	}

	t.Run("get", func(t *testing.T) {
		got, err := c.GetSession(ctx, 11, s1.ID)
		if err != nil {
			t.Fatalf("GetSession: %v", err)
		}
		if diff := cmp.Diff(want1, got, cmpOpts); diff != "" {
			t.Errorf("GetSession (-want +got):\n%s", diff)
		}
		got, err = c.GetSessionByName(ctx, "nl2tp-s3")
		if err != nil {
			t.Fatalf("GetSessionByName: %v", err)
		}
		if diff := cmp.Diff(want3, got, cmpOpts); diff != "" {
			t.Errorf("GetSessionByName (-want +got):\n%s", diff)
		}
		if s := got.Stats; s.Present != l2tp.StatAll || s.TxPackets != 0 || s.RxPackets != 0 || s.RxCookieDiscards != 0 {
			t.Errorf("a new session's counters: %+v", s)
		}
	})

	t.Run("list", func(t *testing.T) {
		for _, tt := range []struct {
			f    l2tp.SessionFilter
			want []l2tp.Session
		}{
			{l2tp.SessionFilter{}, []l2tp.Session{want1, want2, want3}},
			{l2tp.SessionFilter{TunnelID: 11}, []l2tp.Session{want1, want2}},
			{l2tp.SessionFilter{TunnelID: 12}, []l2tp.Session{want3}},
			{l2tp.SessionFilter{TunnelID: 13}, nil},
			{l2tp.SessionFilter{InterfaceName: "nl2tp-s1"}, []l2tp.Session{want1}},
			{l2tp.SessionFilter{InterfaceName: got2.InterfaceName, TunnelID: 11}, []l2tp.Session{want2}},
			{l2tp.SessionFilter{InterfaceName: "nl2tp-s1", TunnelID: 12}, nil},
		} {
			got, err := c.ListSessions(ctx, tt.f)
			if err != nil {
				t.Fatalf("ListSessions(%+v): %v", tt.f, err)
			}
			sortSessions(got)
			if diff := cmp.Diff(tt.want, got, cmpOpts); diff != "" {
				t.Errorf("ListSessions(%+v) (-want +got):\n%s", tt.f, diff)
			}
		}
	})

	t.Run("modify", func(t *testing.T) {
		steps := []struct {
			name   string
			modify l2tp.Session
		}{
			{"by ID", l2tp.Session{TunnelID: 11, ID: s1.ID, LNSMode: true}},
			{"by ID again", l2tp.Session{TunnelID: 11, ID: s1.ID, RecvSeq: true, ReorderTimeout: 1500 * time.Millisecond}},
			{"by name", l2tp.Session{InterfaceName: "nl2tp-s1", SendSeq: true, LNSMode: true, ReorderTimeout: 40 * time.Millisecond}},
			{"by name, all on", l2tp.Session{InterfaceName: "nl2tp-s1", SendSeq: true, RecvSeq: true, LNSMode: true, ReorderTimeout: 3 * time.Second}},
		}
		for _, st := range steps {
			if err := c.ModifySession(ctx, st.modify); err != nil {
				t.Fatalf("ModifySession %s: %v", st.name, err)
			}
			got, err := c.GetSession(ctx, 11, s1.ID)
			if err != nil {
				t.Fatalf("GetSession: %v", err)
			}
			want := want1
			want.SendSeq, want.RecvSeq, want.LNSMode, want.ReorderTimeout = st.modify.SendSeq, st.modify.RecvSeq, st.modify.LNSMode, st.modify.ReorderTimeout
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Errorf("GetSession after ModifySession %s (-want +got):\n%s", st.name, diff)
			}
		}
		// The kernel keeps the timeout in ticks and rounds it up.
		if err := c.ModifySession(ctx, l2tp.Session{TunnelID: 11, ID: s1.ID, ReorderTimeout: 251 * time.Millisecond}); err != nil {
			t.Fatalf("ModifySession: %v", err)
		}
		got, err := c.GetSession(ctx, 11, s1.ID)
		if err != nil {
			t.Fatalf("GetSession: %v", err)
		}
		if d := got.ReorderTimeout; d < 251*time.Millisecond || d > 261*time.Millisecond || d%time.Millisecond != 0 {
			t.Errorf("ReorderTimeout set to 251ms reads back as %v, want it rounded up to a tick (at most 10ms)", d)
		}
		// The other sessions did not change.
		got, err = c.GetSession(ctx, 11, s2.ID)
		if err != nil {
			t.Fatalf("GetSession: %v", err)
		}
		if diff := cmp.Diff(want2, got, cmpOpts); diff != "" {
			t.Errorf("untouched session (-want +got):\n%s", diff)
		}
	})

	t.Run("delete", func(t *testing.T) {
		// Deletes complete asynchronously on newer kernels (6.12 still
		// finds a session just deleted).
		if err := c.DeleteSessionByName(ctx, "nl2tp-s3"); err != nil {
			t.Fatalf("DeleteSessionByName: %v", err)
		}
		waitGone(t, "session nl2tp-s3", func() error { _, err := c.GetSession(ctx, 12, s3.ID); return err })
		if err := c.DeleteSession(ctx, 11, s2.ID); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		waitGone(t, "session "+got2.InterfaceName, func() error { _, err := c.GetSessionByName(ctx, got2.InterfaceName); return err })
		// The interface goes with the session (asynchronously on some
		// kernels).
		waitFor(t, 5*time.Second, "interface "+got2.InterfaceName+" to go", func() bool {
			_, err := ns.LinkIndex(got2.InterfaceName)
			return errors.Is(err, unix.ENODEV)
		})
		left, err := c.ListSessions(ctx, l2tp.SessionFilter{})
		if err != nil {
			t.Fatalf("ListSessions: %v", err)
		}
		if len(left) != 1 || left[0].ID != s1.ID {
			t.Errorf("sessions after the deletes: %+v, want only %d", left, s1.ID)
		}
		// Deleting the tunnel takes its sessions along.
		if err := c.DeleteTunnel(ctx, 11); err != nil {
			t.Fatalf("DeleteTunnel: %v", err)
		}
		waitFor(t, 5*time.Second, "the sessions of a deleted tunnel to go", func() bool {
			ss, err := c.ListSessions(ctx, l2tp.SessionFilter{})
			return err == nil && len(ss) == 0
		})
	})
}

func TestKernelSessionErrors(t *testing.T) {
	ns, c := kernelConn(t)
	withUnderlay(t, ns)
	ctx := kernelCtx(t)
	v3 := l2tp.Tunnel{ID: 31, PeerID: 41, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 14001, RemotePort: 14002}
	v2 := l2tp.Tunnel{ID: 32, PeerID: 42, Version: 2, Local: addrA4, Remote: addrB4, LocalPort: 14003, RemotePort: 1701}
	for _, tun := range []l2tp.Tunnel{v3, v2} {
		if _, err := c.CreateTunnel(ctx, tun); err != nil {
			t.Fatalf("CreateTunnel: %v", err)
		}
	}
	s := l2tp.Session{TunnelID: 31, ID: 100, PeerID: 200, Pseudowire: l2tp.PseudowireEth, InterfaceName: "nl2tp-e1"}
	if _, err := c.CreateSession(ctx, s); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	sessionCount := func() int {
		ss, err := c.ListSessions(ctx, l2tp.SessionFilter{})
		if err != nil {
			t.Fatalf("ListSessions: %v", err)
		}
		return len(ss)
	}

	t.Run("duplicate ID", func(t *testing.T) {
		// Session IDs of L2TPv3 over IP are unique in the namespace.
		ipt := l2tp.Tunnel{ID: 33, PeerID: 43, Version: 3, Encap: l2tp.EncapIP, Local: addrA6, Remote: addrB6}
		if _, err := c.CreateTunnel(ctx, ipt); err != nil {
			t.Fatalf("CreateTunnel: %v", err)
		}
		defer c.DeleteTunnel(ctx, 33)
		if _, err := c.CreateSession(ctx, l2tp.Session{TunnelID: 33, ID: 300, PeerID: 400, Pseudowire: l2tp.PseudowireEth}); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		_, err := c.CreateSession(ctx, l2tp.Session{TunnelID: 33, ID: 300, PeerID: 401, Pseudowire: l2tp.PseudowireEth})
		checkErr(t, "CreateSession with an ID in use in an IP tunnel", err, unix.EEXIST, fs.ErrExist)
		// Also when the session in use is in another tunnel.
		_, err = c.CreateSession(ctx, l2tp.Session{TunnelID: 31, ID: 300, PeerID: 401, Pseudowire: l2tp.PseudowireEth})
		checkErr(t, "CreateSession with the ID of an IP tunnel's session", err, unix.EEXIST, fs.ErrExist)
	})
	t.Run("duplicate ID over UDP", func(t *testing.T) {
		// Since 6.11 the kernel lets UDP tunnels share L2TPv3 session
		// IDs (its "collision lists"), even within one tunnel; before,
		// the ID had to be unique.
		udpt := l2tp.Tunnel{ID: 34, PeerID: 44, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 14005, RemotePort: 14006}
		if _, err := c.CreateTunnel(ctx, udpt); err != nil {
			t.Fatalf("CreateTunnel: %v", err)
		}
		defer c.DeleteTunnel(ctx, 34)
		if _, err := c.CreateSession(ctx, l2tp.Session{TunnelID: 34, ID: 500, PeerID: 600, Pseudowire: l2tp.PseudowireEth}); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		_, err := c.CreateSession(ctx, l2tp.Session{TunnelID: 34, ID: 500, PeerID: 601, Pseudowire: l2tp.PseudowireEth})
		if kernelAtLeast(t, 6, 11) {
			if err != nil {
				t.Errorf("CreateSession with an ID in use in a UDP tunnel: %v; kernels since 6.11 accept it", err)
			}
		} else {
			checkErr(t, "CreateSession with an ID in use in a UDP tunnel", err, unix.EEXIST, fs.ErrExist)
		}
	})
	t.Run("duplicate interface name", func(t *testing.T) {
		for _, name := range []string{"nl2tp-e1", "ul0", "lo"} {
			_, err := c.CreateSession(ctx, l2tp.Session{TunnelID: 31, ID: 101, PeerID: 201, Pseudowire: l2tp.PseudowireEth, InterfaceName: name})
			checkErr(t, "CreateSession with interface name "+name, err, unix.EEXIST, fs.ErrExist)
		}
	})
	t.Run("missing tunnel", func(t *testing.T) {
		_, err := c.CreateSession(ctx, l2tp.Session{TunnelID: 999, ID: 102, PeerID: 202, Pseudowire: l2tp.PseudowireEth})
		checkErr(t, "CreateSession in a missing tunnel", err, l2tp.ErrNotFound, unix.ENODEV)
	})
	t.Run("missing session", func(t *testing.T) {
		_, err := c.GetSession(ctx, 31, 4242)
		checkErr(t, "GetSession of a missing session", err, l2tp.ErrNotFound, unix.ENODEV)
		_, err = c.GetSession(ctx, 4242, 100)
		checkErr(t, "GetSession in a missing tunnel", err, l2tp.ErrNotFound, unix.ENODEV)
		_, err = c.GetSessionByName(ctx, "nl2tp-none")
		checkErr(t, "GetSessionByName of a missing session", err, l2tp.ErrNotFound, unix.ENODEV)
		checkErr(t, "DeleteSession of a missing session", c.DeleteSession(ctx, 31, 4242), l2tp.ErrNotFound, unix.ENODEV)
		checkErr(t, "DeleteSessionByName of a missing session", c.DeleteSessionByName(ctx, "nl2tp-none"), l2tp.ErrNotFound, unix.ENODEV)
		checkErr(t, "ModifySession of a missing session", c.ModifySession(ctx, l2tp.Session{TunnelID: 31, ID: 4242, SendSeq: true}), l2tp.ErrNotFound, unix.ENODEV)
		checkErr(t, "ModifySession by a missing name", c.ModifySession(ctx, l2tp.Session{InterfaceName: "nl2tp-none", SendSeq: true}), l2tp.ErrNotFound, unix.ENODEV)
	})
	t.Run("PPP", func(t *testing.T) {
		// Debian's cloud kernels have no l2tp_ppp.
		for _, tun := range []uint32{31, 32} {
			_, err := c.CreateSession(ctx, l2tp.Session{TunnelID: tun, ID: 103, PeerID: 203, Pseudowire: l2tp.PseudowirePPP})
			checkErr(t, fmt.Sprintf("CreateSession PPP in tunnel %d", tun), err, errors.ErrUnsupported, unix.EPROTONOSUPPORT)
			if err != nil && !strings.Contains(err.Error(), "l2tp_ppp") {
				t.Errorf("the unsupported-pseudowire error %q does not name l2tp_ppp", err)
			}
		}
	})
	t.Run("unimplemented pseudowires", func(t *testing.T) {
		for _, pw := range []l2tp.PseudowireType{l2tp.PseudowireEthVLAN, l2tp.PseudowirePPPAC, l2tp.PseudowireIP} {
			_, err := c.CreateSession(ctx, l2tp.Session{TunnelID: 31, ID: 104, PeerID: 204, Pseudowire: pw})
			checkErr(t, fmt.Sprintf("CreateSession %v", pw), err, errors.ErrUnsupported, unix.EPROTONOSUPPORT)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		before := sessionCount()
		for _, tt := range []struct {
			s     l2tp.Session
			field string
		}{
			{l2tp.Session{TunnelID: 31, ID: 105, PeerID: 205, Pseudowire: l2tp.PseudowireEth, L2Spec: 2}, "L2Spec"},
			{l2tp.Session{TunnelID: 31, ID: 105, PeerID: 205, Pseudowire: l2tp.PseudowireEth, L2Spec: 255}, "L2Spec"},
			{l2tp.Session{TunnelID: 31, ID: 105, PeerID: 205, Pseudowire: l2tp.PseudowireEth, Cookie: []byte{1, 2, 3, 4, 5}}, "Cookie"},
			{l2tp.Session{TunnelID: 31, ID: 105, PeerID: 205, Pseudowire: l2tp.PseudowireEth, PeerCookie: make([]byte, 9)}, "PeerCookie"},
			{l2tp.Session{TunnelID: 31, ID: 105, PeerID: 205, Pseudowire: l2tp.PseudowireEth, InterfaceName: "a-name-too-long-x"}, "InterfaceName"},
			{l2tp.Session{TunnelID: 31, ID: 105, PeerID: 205}, "Pseudowire"},
			{l2tp.Session{TunnelID: 31, ID: 105, PeerID: 205, Pseudowire: l2tp.PseudowireEth, ReorderTimeout: -time.Second}, "ReorderTimeout"},
			// Ethernet needs L2TPv3; tunnel 32 is L2TPv2.
			{l2tp.Session{TunnelID: 32, ID: 105, PeerID: 205, Pseudowire: l2tp.PseudowireEth}, "Pseudowire"},
			{l2tp.Session{TunnelID: 32, ID: 70000, PeerID: 205, Pseudowire: l2tp.PseudowirePPP}, "ID"},
		} {
			_, err := c.CreateSession(ctx, tt.s)
			checkErr(t, fmt.Sprintf("CreateSession(%+v)", tt.s), err, l2tp.ErrInvalid)
			if err != nil && !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error %q does not name the field %s", err, tt.field)
			}
		}
		if after := sessionCount(); after != before {
			t.Errorf("%d sessions before the invalid creates, %d after", before, after)
		}
	})
	ss, err := c.ListSessions(ctx, l2tp.SessionFilter{TunnelID: 31})
	if err != nil {
		t.Fatalf("ListSessions: %v", err)
	}
	if len(ss) != 1 || ss[0].ID != 100 {
		t.Errorf("sessions of tunnel 31 after the failed creates: %+v, want only session 100", ss)
	}
}

// TestKernelManagedTunnels creates tunnels on sockets of the test's own,
// UDP and L2TP/IP, IPv4 and IPv6, and checks that each tunnel goes when its
// socket is closed.
func TestKernelManagedTunnels(t *testing.T) {
	tests := []struct {
		name string
		tun  l2tp.Tunnel
	}{
		{"UDP/IPv4", l2tp.Tunnel{ID: 51, PeerID: 61, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 15001, RemotePort: 15002}},
		{"UDP/IPv4/checksum", l2tp.Tunnel{ID: 52, PeerID: 62, Version: 3, Local: addrA4, Remote: addrB4, LocalPort: 15003, RemotePort: 15004, UDPChecksum: true}},
		{"UDP/IPv4/L2TPv2", l2tp.Tunnel{ID: 53, PeerID: 63, Version: 2, Local: addrA4, Remote: addrB4, LocalPort: 15005, RemotePort: 1701}},
		{"UDP/IPv6", l2tp.Tunnel{ID: 54, PeerID: 64, Version: 3, Local: addrA6, Remote: addrB6, LocalPort: 15006, RemotePort: 15007}},
		{"UDP/IPv6/zero-checksums", l2tp.Tunnel{ID: 55, PeerID: 65, Version: 3, Local: addrA6, Remote: addrB6, LocalPort: 15008, RemotePort: 15009, UDPZeroChecksum6TX: true, UDPZeroChecksum6RX: true}},
		{"IP/IPv4", l2tp.Tunnel{ID: 56, PeerID: 66, Version: 3, Encap: l2tp.EncapIP, Local: addrA4, Remote: addrB4}},
		{"IP/IPv6", l2tp.Tunnel{ID: 57, PeerID: 67, Version: 3, Encap: l2tp.EncapIP, Local: addrA6, Remote: addrB6}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ns, c := kernelConn(t)
			withUnderlay(t, ns)
			ctx := kernelCtx(t)
			var sock interface {
				syscall.Conn
				Close() error
			}
			err := ns.Do(func() error {
				f, err := l2tp.NewTunnelSocket(tt.tun)
				sock = f
				return err
			})
			if err != nil {
				t.Fatalf("NewTunnelSocket: %v", err)
			}
			defer sock.Close()
			// Only the IDs, version and encapsulation come from t: the
			// kernel takes the rest from the socket.
			bare := l2tp.Tunnel{ID: tt.tun.ID, PeerID: tt.tun.PeerID, Version: tt.tun.Version, Encap: tt.tun.Encap}
			got, err := c.CreateManagedTunnel(ctx, bare, sock)
			if err != nil {
				t.Fatalf("CreateManagedTunnel: %v", err)
			}
			if diff := cmp.Diff(tt.tun, got, cmpOpts); diff != "" {
				t.Errorf("CreateManagedTunnel returned (-want +got):\n%s", diff)
			}
			got, err = c.GetTunnel(ctx, tt.tun.ID)
			if err != nil {
				t.Fatalf("GetTunnel: %v", err)
			}
			if diff := cmp.Diff(tt.tun, got, cmpOpts); diff != "" {
				t.Errorf("GetTunnel (-want +got):\n%s", diff)
			}
			// A session works in a managed tunnel as in a static one.
			if tt.tun.Version == 3 {
				if _, err := c.CreateSession(ctx, l2tp.Session{TunnelID: tt.tun.ID, ID: 7, PeerID: 8, Pseudowire: l2tp.PseudowireEth}); err != nil {
					t.Errorf("CreateSession in the managed tunnel: %v", err)
				}
			}
			// A socket carries one tunnel at most.
			other := bare
			other.ID += 100
			_, err = c.CreateManagedTunnel(ctx, other, sock)
			checkErr(t, "CreateManagedTunnel on a socket in use", err, unix.EBUSY)

			if err := sock.Close(); err != nil {
				t.Fatalf("closing the socket: %v", err)
			}
			waitFor(t, 5*time.Second, "the tunnel of a closed socket to go", func() bool {
				_, err := c.GetTunnel(ctx, tt.tun.ID)
				return errors.Is(err, l2tp.ErrNotFound)
			})
			ts, err := c.ListTunnels(ctx)
			if err != nil || len(ts) != 0 {
				t.Errorf("ListTunnels after the socket closed: %+v, %v; want none", ts, err)
			}
		})
	}

	t.Run("net.UDPConn", func(t *testing.T) {
		ns, c := kernelConn(t)
		withUnderlay(t, ns)
		ctx := kernelCtx(t)
		var uc *net.UDPConn
		err := ns.Do(func() error {
			var err error
			uc, err = net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addrA6, 15100)), net.UDPAddrFromAddrPort(netip.AddrPortFrom(addrB6, 15101)))
			return err
		})
		if err != nil {
			t.Fatalf("DialUDP: %v", err)
		}
		defer uc.Close()
		got, err := c.CreateManagedTunnel(ctx, l2tp.Tunnel{ID: 58, PeerID: 68, Version: 3}, uc)
		if err != nil {
			t.Fatalf("CreateManagedTunnel: %v", err)
		}
		want := l2tp.Tunnel{ID: 58, PeerID: 68, Version: 3, Local: addrA6, Remote: addrB6, LocalPort: 15100, RemotePort: 15101}
		if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
			t.Errorf("CreateManagedTunnel returned (-want +got):\n%s", diff)
		}
		uc.Close()
		waitFor(t, 5*time.Second, "the tunnel of a closed socket to go", func() bool {
			_, err := c.GetTunnel(ctx, 58)
			return errors.Is(err, l2tp.ErrNotFound)
		})
	})

	t.Run("unsuitable socket", func(t *testing.T) {
		ns, c := kernelConn(t)
		withUnderlay(t, ns)
		ctx := kernelCtx(t)
		var uc *net.UDPConn
		err := ns.Do(func() error {
			var err error
			uc, err = net.DialUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(addrA4, 15200)), net.UDPAddrFromAddrPort(netip.AddrPortFrom(addrB4, 15201)))
			return err
		})
		if err != nil {
			t.Fatalf("DialUDP: %v", err)
		}
		defer uc.Close()
		// IP encapsulation needs an IPPROTO_L2TP socket.
		_, err = c.CreateManagedTunnel(ctx, l2tp.Tunnel{ID: 59, PeerID: 69, Version: 3, Encap: l2tp.EncapIP}, uc)
		checkErr(t, "CreateManagedTunnel with IP encapsulation on a UDP socket", err, unix.EPROTONOSUPPORT)
		if _, err := c.GetTunnel(ctx, 59); !errors.Is(err, l2tp.ErrNotFound) {
			t.Errorf("GetTunnel after a failed managed create: %v, want ErrNotFound", err)
		}
	})
}

// waitGone polls get until it fails with ErrNotFound (and ENODEV),
// failing the test after 5s or on another error.
func waitGone(t testing.TB, what string, get func() error) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		err := get()
		if err != nil {
			checkErr(t, what, err, l2tp.ErrNotFound, unix.ENODEV)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still there 5s after its deletion", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// kernelAtLeast reports whether the running kernel's version is at least
// major.minor.
func kernelAtLeast(t testing.TB, major, minor int) bool {
	t.Helper()
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatalf("uname: %v", err)
	}
	rel := unix.ByteSliceToString(u.Release[:])
	var ma, mi int
	if _, err := fmt.Sscanf(rel, "%d.%d", &ma, &mi); err != nil {
		t.Fatalf("kernel release %q: %v", rel, err)
	}
	return ma > major || ma == major && mi >= minor
}

// waitFor polls cond every 10ms until it holds, failing the test after
// timeout.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

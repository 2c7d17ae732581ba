package kerneltest

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/nl2tp/nl2tp/netlinkraw"
	"golang.org/x/sys/unix"
)

// The self-tests prove the VM rig end to end without the l2tp client:
// modules, generic netlink, namespaces, veth and UDP across them.

// TestModules checks that the VM rig loaded every module the kernel tests
// need (a module built into the kernel shows in /sys/module too).
func TestModules(t *testing.T) {
	if !InVM() {
		t.Skip("kerneltest: checks the VM rig's module loading; runs in the VM only")
	}
	for _, m := range []string{"udp_tunnel", "ip6_udp_tunnel", "l2tp_core", "l2tp_netlink", "l2tp_eth", "l2tp_ip", "l2tp_ip6", "veth", "nlmon"} {
		if _, err := os.Stat("/sys/module/" + m); err != nil {
			t.Errorf("module %s not loaded: %v", m, err)
		}
	}
}

func TestL2TPFamily(t *testing.T) {
	Require(t)
	ns := NewNetNS(t)
	c, err := netlinkraw.Dial(unix.NETLINK_GENERIC, &netlinkraw.Config{NetNS: ns.FD()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	f, err := c.ResolveFamily(ctx, "l2tp")
	if err != nil {
		t.Fatalf("resolve l2tp: %v", err)
	}
	if f.ID == 0 || f.Version != 1 {
		t.Errorf("family l2tp: ID %d version %d, want a non-zero ID and version 1", f.ID, f.Version)
	}
	if !slices.ContainsFunc(f.Groups, func(g netlinkraw.MulticastGroup) bool { return g.Name == "l2tp" && g.ID != 0 }) {
		t.Errorf("family l2tp: no multicast group \"l2tp\" in %+v", f.Groups)
	}
	_, err = c.ResolveFamily(ctx, "nl2tp-nofam")
	if !errors.Is(err, unix.ENOENT) {
		t.Errorf("resolving a missing family: got %v, want ENOENT", err)
	}
}

// nsInode returns the inode of the network namespace of the calling
// thread.
func nsInode() (uint64, error) {
	var st unix.Stat_t
	err := unix.Stat("/proc/thread-self/ns/net", &st)
	return st.Ino, err
}

func TestNetNS(t *testing.T) {
	Require(t)
	a, b := NewNetNS(t), NewNetNS(t)

	var st unix.Stat_t
	if err := unix.Fstat(a.FD(), &st); err != nil {
		t.Fatal(err)
	}
	var inside uint64
	if err := a.Do(func() error {
		var err error
		inside, err = nsInode()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if inside != st.Ino {
		t.Errorf("Do ran in namespace inode %d, want %d", inside, st.Ino)
	}
	sentinel := errors.New("sentinel")
	if err := a.Do(func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Do returned %v, want fn's error", err)
	}

	lo, err := a.Link("lo")
	if err != nil {
		t.Fatal(err)
	}
	if lo.Flags&unix.IFF_UP == 0 {
		t.Errorf("lo is not up in a fresh namespace: flags %#x", lo.Flags)
	}
	if err := a.AddVeth("va", "vb", b); err != nil {
		t.Fatal(err)
	}
	if _, err := b.LinkIndex("vb"); err != nil {
		t.Errorf("peer vb not in namespace b: %v", err)
	}
	if _, err := a.LinkIndex("vb"); !errors.Is(err, unix.ENODEV) {
		t.Errorf("peer vb seen in namespace a: got %v, want ENODEV", err)
	}
	if _, err := b.LinkIndex("va"); !errors.Is(err, unix.ENODEV) {
		t.Errorf("va seen in namespace b: got %v, want ENODEV", err)
	}
	if err := a.AddVeth("va", "vc", nil); !errors.Is(err, unix.EEXIST) {
		t.Errorf("second veth called va: got %v, want EEXIST", err)
	}
}

func TestVethUDPEcho(t *testing.T) {
	Require(t)
	const n, size = 20, 200
	tests := []struct {
		name   string
		pa, pb netip.Prefix
	}{
		{"IPv4", netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("192.0.2.2/24")},
		{"IPv6", netip.MustParsePrefix("2001:db8::1/64"), netip.MustParsePrefix("2001:db8::2/64")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := NewNetNS(t), NewNetNS(t)
			Veth(t, a, "veth-a", []netip.Prefix{tt.pa}, b, "veth-b", []netip.Prefix{tt.pb})
			for _, dir := range []struct {
				name     string
				from, to *NetNS
				addr     netip.Addr
			}{{"a to b", a, b, tt.pb.Addr()}, {"b to a", b, a, tt.pa.Addr()}} {
				srv := UDPEchoServer(t, dir.to, netip.AddrPortFrom(dir.addr, 0))
				got, err := UDPPing(dir.from, srv, n, size, 2*time.Second)
				if err != nil {
					t.Fatalf("%s: %v", dir.name, err)
				}
				if got != n {
					t.Errorf("%s: %d of %d echoes came back", dir.name, got, n)
				}
			}
			for _, end := range []struct {
				ns   *NetNS
				name string
			}{{a, "veth-a"}, {b, "veth-b"}} {
				l, err := end.ns.Link(end.name)
				if err != nil {
					t.Fatal(err)
				}
				s := l.Stats
				if s.RxPackets < 2*n || s.TxPackets < 2*n || s.RxBytes < 2*n*size || s.TxBytes < 2*n*size {
					t.Errorf("%s counters %+v, want at least %d packets and %d bytes each way", end.name, s, 2*n, 2*n*size)
				}
			}
		})
	}
}

// TestUDPPingLoss checks that UDPPing counts only real echoes: nothing
// answers on a port without a server, nor from an address nobody has.
func TestUDPPingLoss(t *testing.T) {
	Require(t)
	a, b := NewNetNS(t), NewNetNS(t)
	Veth(t, a, "veth-a", []netip.Prefix{netip.MustParsePrefix("192.0.2.1/24")}, b, "veth-b", []netip.Prefix{netip.MustParsePrefix("192.0.2.2/24")})
	for _, dst := range []string{"192.0.2.2:9", "192.0.2.3:7"} {
		got, err := UDPPing(a, netip.MustParseAddrPort(dst), 3, 64, 300*time.Millisecond)
		if err != nil {
			t.Fatalf("%s: %v", dst, err)
		}
		if got != 0 {
			t.Errorf("%s: %d echoes from nowhere", dst, got)
		}
	}
}

func TestParseLink(t *testing.T) {
	if _, err := parseLink(make([]byte, 15)); err == nil {
		t.Error("parseLink accepted 15 bytes")
	}
	var e netlinkraw.Encoder
	e.Raw(ifinfomsg(7, unix.IFF_UP, 0))
	e.Uint8(iflaOperstate, operUp)
	stats := make([]byte, 8*8)
	for i := range 8 {
		stats[8*i] = byte(i + 1)
	}
	e.Bytes(iflaStats64, stats)
	b, err := e.Encoded()
	if err != nil {
		t.Fatal(err)
	}
	l, err := parseLink(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Link{Index: 7, Flags: unix.IFF_UP, OperUp: true, Stats: LinkStats{1, 2, 3, 4, 5, 6, 7, 8}}
	if l != want {
		t.Errorf("parseLink = %+v, want %+v", l, want)
	}
	e.Reset(nil)
	e.Raw(ifinfomsg(7, 0, 0))
	e.Bytes(iflaStats64, stats[:63])
	b, _ = e.Encoded()
	if _, err := parseLink(b); err == nil {
		t.Error("parseLink accepted a short IFLA_STATS64")
	}
}

// TestRequire checks that Require never fails on a host (it skips or finds
// L2TP) and never skips in the VM.
func TestRequire(t *testing.T) {
	var skipped bool
	ok := t.Run("require", func(t *testing.T) {
		defer func() { skipped = t.Skipped() }()
		Require(t)
	})
	if !ok {
		t.Error("Require failed the test")
	}
	if InVM() && skipped {
		t.Error("Require skipped in the VM")
	}
}

func TestUnshareNetNS(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("kerneltest: making a network namespace needs root")
	}
	own, err := nsInode()
	if err != nil {
		t.Fatal(err)
	}
	var inSetup uint64
	f, err := UnshareNetNS(func() error {
		var err error
		inSetup, err = nsInode()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		t.Fatal(err)
	}
	if inSetup != st.Ino || st.Ino == own {
		t.Errorf("setup ran in namespace inode %d, the new one is %d, the caller's %d; want setup in a new one", inSetup, st.Ino, own)
	}
	var inFn uint64
	if err := InNetNS(int(f.Fd()), func() error {
		var err error
		inFn, err = nsInode()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if inFn != st.Ino {
		t.Errorf("InNetNS ran in namespace inode %d, want %d", inFn, st.Ino)
	}
	if now, err := nsInode(); err != nil || now != own {
		t.Errorf("the caller's namespace is now inode %d (%v), want %d", now, err, own)
	}

	sentinel := errors.New("sentinel")
	g, err := UnshareNetNS(func() error { return sentinel })
	if !errors.Is(err, sentinel) || g != nil {
		t.Errorf("UnshareNetNS with a failing setup = %v, %v; want nil and the setup's error", g, err)
	}
	if err := InNetNS(-1, func() error { return nil }); !errors.Is(err, unix.EBADF) {
		t.Errorf("InNetNS(-1) = %v, want EBADF", err)
	}
}

package l2tp_test

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nl2tp/nl2tp/internal/kerneltest"
	"github.com/nl2tp/nl2tp/l2tp"
)

// The data-plane tests join two namespaces, A and B, with a veth pair
// (192.0.2.1/24 and 2001:db8:1::1/64 on A, .2 and ::2 on B), make an
// L2TPv3 tunnel and an Ethernet session on each side through this package,
// address the sessions' interfaces (198.51.100.1/24 on A, .2 on B) and send
// UDP through the pseudowire.
//
// The kernel puts a session's COOKIE (Session.Cookie) in the packets it
// sends and drops received packets that do not carry its PEER_COOKIE
// (Session.PeerCookie), counting them in RxCookieDiscards. So A's Cookie
// must be B's PeerCookie and the other way round. The two directions use
// different cookies of different lengths, so that a client that swapped
// them, or sent the peer cookie as COOKIE, breaks the traffic.

var (
	overlayA = netip.MustParsePrefix("198.51.100.1/24")
	overlayB = netip.MustParsePrefix("198.51.100.2/24")

	cookieAB = []byte{0xa1, 0xb2, 0xc3, 0xd4}                         // sent by A, expected by B
	cookieBA = []byte{0x0b, 0x1c, 0x2d, 0x3e, 0x4f, 0x50, 0x61, 0x72} // sent by B, expected by A
)

type encapCase struct {
	name  string
	encap l2tp.EncapType
	ipv6  bool
	seq   bool // the default L2-specific sublayer, with sequence numbers both ways
}

var encapCases = []encapCase{
	{"UDP/IPv4", l2tp.EncapUDP, false, false},
	{"UDP/IPv6", l2tp.EncapUDP, true, false},
	{"IP/IPv4", l2tp.EncapIP, false, false},
	{"IP/IPv6", l2tp.EncapIP, true, false},
}

// A pwEnd is one side of a pseudowire.
type pwEnd struct {
	ns      *kerneltest.NetNS
	c       *l2tp.Conn
	tunnel  l2tp.Tunnel
	session l2tp.Session
}

// stats returns the session's and the tunnel's counters.
func (e *pwEnd) stats(t *testing.T) (session, tunnel l2tp.Stats) {
	t.Helper()
	ctx := kernelCtx(t)
	s, err := e.c.GetSession(ctx, e.session.TunnelID, e.session.ID)
	if err != nil {
		t.Fatalf("GetSession: %v", err)
	}
	tun, err := e.c.GetTunnel(ctx, e.tunnel.ID)
	if err != nil {
		t.Fatalf("GetTunnel: %v", err)
	}
	if s.Stats.Present != l2tp.StatAll || tun.Stats.Present != l2tp.StatAll {
		t.Fatalf("counters present: session %#x, tunnel %#x; want all (%#x)", s.Stats.Present, tun.Stats.Present, l2tp.StatAll)
	}
	return s.Stats, tun.Stats
}

// pseudowire sets up the two namespaces, the tunnels and the sessions,
// with bPeerCookie as B's PeerCookie (cookieAB for a working pseudowire), and
// brings the session interfaces up with their addresses.
func pseudowire(t *testing.T, ec encapCase, bPeerCookie []byte) (a, b *pwEnd) {
	t.Helper()
	kerneltest.Require(t)
	ctx := kernelCtx(t)
	nsA, nsB := kerneltest.NewNetNS(t), kerneltest.NewNetNS(t)
	kerneltest.Veth(t,
		nsA, "veth-a", []netip.Prefix{netip.PrefixFrom(addrA4, 24), netip.PrefixFrom(addrA6, 64)},
		nsB, "veth-b", []netip.Prefix{netip.PrefixFrom(addrB4, 24), netip.PrefixFrom(addrB6, 64)})
	la, lb := addrA4, addrB4
	if ec.ipv6 {
		la, lb = addrA6, addrB6
	}
	a = &pwEnd{ns: nsA, c: dialNS(t, nsA)}
	b = &pwEnd{ns: nsB, c: dialNS(t, nsB)}
	a.tunnel = l2tp.Tunnel{ID: 10, PeerID: 20, Version: 3, Encap: ec.encap, Local: la, Remote: lb}
	b.tunnel = l2tp.Tunnel{ID: 20, PeerID: 10, Version: 3, Encap: ec.encap, Local: lb, Remote: la}
	if ec.encap == l2tp.EncapUDP {
		a.tunnel.LocalPort, a.tunnel.RemotePort = 17010, 17020
		b.tunnel.LocalPort, b.tunnel.RemotePort = 17020, 17010
	}
	a.session = l2tp.Session{TunnelID: 10, ID: 0x1111, PeerID: 0x2222, Pseudowire: l2tp.PseudowireEth,
		Cookie: cookieAB, PeerCookie: cookieBA, InterfaceName: "l2tp-a"}
	b.session = l2tp.Session{TunnelID: 20, ID: 0x2222, PeerID: 0x1111, Pseudowire: l2tp.PseudowireEth,
		Cookie: cookieBA, PeerCookie: bPeerCookie, InterfaceName: "l2tp-b"}
	if ec.seq {
		for _, s := range []*l2tp.Session{&a.session, &b.session} {
			s.L2Spec, s.SendSeq, s.RecvSeq = l2tp.L2SpecDefault, true, true
		}
	}
	for _, e := range []*pwEnd{a, b} {
		if _, err := e.c.CreateTunnel(ctx, e.tunnel); err != nil {
			t.Fatalf("CreateTunnel: %v", err)
		}
		got, err := e.c.CreateSession(ctx, e.session)
		if err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
		// The kernel reports the cookies as they were given.
		if !bytes.Equal(got.Cookie, e.session.Cookie) || !bytes.Equal(got.PeerCookie, e.session.PeerCookie) {
			t.Errorf("session %d: the kernel has Cookie %x, PeerCookie %x; want %x, %x",
				got.ID, got.Cookie, got.PeerCookie, e.session.Cookie, e.session.PeerCookie)
		}
	}
	for _, x := range []struct {
		e       *pwEnd
		overlay netip.Prefix
	}{{a, overlayA}, {b, overlayB}} {
		if err := x.e.ns.AddAddr(x.e.session.InterfaceName, x.overlay); err != nil {
			t.Fatal(err)
		}
		// Only the test's frames cross the pseudowire: with sequence
		// numbers, a frame the kernel sends of its own accord from
		// another CPU (IPv6 router solicitations, MLD reports) can
		// overtake one of the test's, and the receiver, which has no
		// reorder timeout, drops frames until it resynchronises.
		if err := x.e.ns.DisableIPv6(x.e.session.InterfaceName); err != nil {
			t.Fatal(err)
		}
		if err := x.e.ns.LinkUp(x.e.session.InterfaceName); err != nil {
			t.Fatal(err)
		}
	}
	return a, b
}

// wantMTU is the MTU the kernel gives a session interface on a 1500-byte
// underlay: 1500 less the outer IP header, UDP header and L2TPv3 UDP
// header word (UDP only), session ID, the cookie the session sends, and
// the inner Ethernet header, and the L2-specific sublayer if any.
func wantMTU(ec encapCase, sentCookie []byte) int {
	mtu := 1500 - 20 - 4 - len(sentCookie) - 14
	if ec.seq {
		mtu -= 4
	}
	if ec.ipv6 {
		mtu -= 20
	}
	if ec.encap == l2tp.EncapUDP {
		mtu -= 8 + 4
	}
	return mtu
}

// TestKernelDataPlane sends UDP through an L2TPv3 Ethernet pseudowire
// over each encapsulation and checks the counters on both sides.
func TestKernelDataPlane(t *testing.T) {
	cases := append(slices.Clone(encapCases),
		encapCase{"UDP/IPv4/sequenced", l2tp.EncapUDP, false, true},
		encapCase{"IP/IPv6/sequenced", l2tp.EncapIP, true, true})
	for _, ec := range cases {
		t.Run(ec.name, func(t *testing.T) {
			a, b := pseudowire(t, ec, cookieAB)
			for _, e := range []*pwEnd{a, b} {
				mtu, err := e.ns.MTU(e.session.InterfaceName)
				if err != nil {
					t.Fatal(err)
				}
				if want := wantMTU(ec, e.session.Cookie); mtu != want {
					t.Errorf("%s: MTU %d, want %d", e.session.InterfaceName, mtu, want)
				}
			}
			echo := kerneltest.UDPEchoServer(t, b.ns, netip.AddrPortFrom(overlayB.Addr(), 0))

			// The first datagram waits for ARP across the pseudowire.
			deadline := time.Now().Add(15 * time.Second)
			for {
				n, err := kerneltest.UDPPing(a.ns, echo, 1, 64, 250*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				if n == 1 {
					break
				}
				if time.Now().After(deadline) {
					sa, _ := a.stats(t)
					sb, _ := b.stats(t)
					t.Fatalf("no UDP echo across the pseudowire within 15s; session counters A %+v, B %+v", sa, sb)
				}
			}

			sa0, ta0 := a.stats(t)
			sb0, tb0 := b.stats(t)
			const count, size = 20, 1000
			n, err := kerneltest.UDPPing(a.ns, echo, count, size, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if n != count {
				t.Errorf("%d of %d UDP echoes of %d bytes came back", n, count, size)
			}
			// Full-size datagrams: as large as the smaller MTU allows.
			mtu := min(wantMTU(ec, a.session.Cookie), wantMTU(ec, b.session.Cookie))
			big := mtu - 20 - 8
			const bigCount = 5
			n, err = kerneltest.UDPPing(a.ns, echo, bigCount, big, 2*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			if n != bigCount {
				t.Errorf("%d of %d UDP echoes of %d bytes (MTU %d) came back", n, bigCount, big, mtu)
			}
			sa1, ta1 := a.stats(t)
			sb1, tb1 := b.stats(t)

			// Each echo is an Ethernet frame each way: 14 + 20 + 8 bytes
			// of headers around the datagram.
			const frames = count + bigCount
			const minBytes = count*(size+42) + bigCount*(42)
			for _, x := range []struct {
				what        string
				before, now l2tp.Stats
			}{
				{"session A", sa0, sa1}, {"session B", sb0, sb1},
				{"tunnel A", ta0, ta1}, {"tunnel B", tb0, tb1},
			} {
				tx, rx := x.now.TxPackets-x.before.TxPackets, x.now.RxPackets-x.before.RxPackets
				txb, rxb := x.now.TxBytes-x.before.TxBytes, x.now.RxBytes-x.before.RxBytes
				if tx < frames || rx < frames {
					t.Errorf("%s: %d packets sent, %d received; want at least %d each way", x.what, tx, rx, frames)
				}
				if least := uint64(minBytes + bigCount*big); txb < least || rxb < least {
					t.Errorf("%s: %d bytes sent, %d received; want at least %d each way", x.what, txb, rxb, least)
				}
				if x.now.RxCookieDiscards != 0 {
					t.Errorf("%s: cookie discards with matching cookies: %+v", x.what, x.now)
				}
				// With sequence numbers, a frame or two sent at link-up can
				// arrive out of sequence (6.1 drops one now and then); none
				// may be lost while the echoes run.
				errs := func(s l2tp.Stats) uint64 { return s.RxErrors + s.RxSeqDiscards + s.TxErrors }
				if errs(x.now) != errs(x.before) || !ec.seq && errs(x.now) != 0 {
					t.Errorf("%s: errors before the echoes %+v, after %+v", x.what, x.before, x.now)
				}
			}
			// What one side sent, the other received.
			if sa1.TxPackets-sa0.TxPackets > sb1.RxPackets-sb0.RxPackets+2 || sb1.TxPackets-sb0.TxPackets > sa1.RxPackets-sa0.RxPackets+2 {
				t.Errorf("packets A→B: %d sent, %d received; B→A: %d sent, %d received",
					sa1.TxPackets-sa0.TxPackets, sb1.RxPackets-sb0.RxPackets, sb1.TxPackets-sb0.TxPackets, sa1.RxPackets-sa0.RxPackets)
			}
		})
	}
}

// TestKernelDataPlaneCookieMismatch gives B a PeerCookie that A does not
// send: the traffic fails, and B counts the frames it drops in
// RxCookieDiscards; A, whose cookies match, drops nothing.
func TestKernelDataPlaneCookieMismatch(t *testing.T) {
	for _, ec := range encapCases {
		t.Run(ec.name, func(t *testing.T) {
			wrong := bytes.Clone(cookieAB)
			wrong[3] ^= 0xff
			a, b := pseudowire(t, ec, wrong)
			echoB := kerneltest.UDPEchoServer(t, b.ns, netip.AddrPortFrom(overlayB.Addr(), 0))
			echoA := kerneltest.UDPEchoServer(t, a.ns, netip.AddrPortFrom(overlayA.Addr(), 0))
			sb0, _ := b.stats(t)
			// A to B: A's ARP requests never get through. B to A: A's
			// ARP replies never get through.
			for _, x := range []struct {
				from *pwEnd
				to   netip.AddrPort
			}{{a, echoB}, {b, echoA}} {
				n, err := kerneltest.UDPPing(x.from.ns, x.to, 3, 64, 300*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("%d UDP echoes to %v came back through mismatched cookies, want none", n, x.to)
				}
			}
			sa1, _ := a.stats(t)
			sb1, tb1 := b.stats(t)
			if d := sb1.RxCookieDiscards - sb0.RxCookieDiscards; d < 2 {
				t.Errorf("B discarded %d frames for their cookie, want at least 2 (ARP from A, both ways)", d)
			}
			if sb1.RxPackets != 0 {
				t.Errorf("B received %d packets with a wrong cookie, want 0", sb1.RxPackets)
			}
			if sa1.RxCookieDiscards != 0 {
				t.Errorf("A, whose cookies match, discarded %d frames for their cookie", sa1.RxCookieDiscards)
			}
			if sa1.TxPackets == 0 || sa1.RxPackets == 0 {
				t.Errorf("A's counters %+v: want frames sent (ARP requests, replies) and received (B's ARP requests)", sa1)
			}
			if tb1.RxPackets != 0 {
				t.Errorf("B's tunnel counted %d packets received, want 0", tb1.RxPackets)
			}
			got, err := b.c.GetSession(kernelCtx(t), b.session.TunnelID, b.session.ID)
			if err != nil {
				t.Fatalf("GetSession: %v", err)
			}
			if diff := cmp.Diff(wrong, got.PeerCookie); diff != "" {
				t.Errorf("B's PeerCookie (-want +got):\n%s", diff)
			}
		})
	}
}

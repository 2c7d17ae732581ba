package l2tp_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net/netip"
	"time"

	"github.com/nl2tp/nl2tp/l2tp"
)

// Create an L2TPv3 tunnel over UDP and an Ethernet session in it: the
// kernel then has an interface (here l2tpeth0) bridging Ethernet frames to
// the peer.
func Example() {
	ctx := context.Background()
	c, err := l2tp.Dial(nil)
	if err != nil {
		log.Fatal(err) // errors.Is(err, errors.ErrUnsupported): load l2tp_netlink
	}
	defer c.Close()

	t, err := c.CreateTunnel(ctx, l2tp.Tunnel{
		ID: 10, PeerID: 20, Version: 3,
		Local: netip.MustParseAddr("192.0.2.1"), LocalPort: 5000,
		Remote: netip.MustParseAddr("192.0.2.2"), RemotePort: 5000,
	})
	if err != nil {
		log.Fatal(err)
	}
	s, err := c.CreateSession(ctx, l2tp.Session{
		TunnelID: t.ID, ID: 1, PeerID: 1,
		Pseudowire:    l2tp.PseudowireEth,
		Cookie:        []byte{0xde, 0xad, 0xbe, 0xef},
		PeerCookie:    []byte{0xca, 0xfe, 0xf0, 0x0d},
		L2Spec:        l2tp.L2SpecDefault,
		InterfaceName: "l2tpeth0",
	})
	if err != nil {
		log.Fatal(err) // errors.Is(err, errors.ErrUnsupported): load l2tp_eth
	}
	fmt.Println("created", s.InterfaceName)
}

// A managed tunnel lives on a socket of the program's own, which carries
// the L2TP control messages too. NewTunnelSocket makes it as the kernel
// wants it; the same Tunnel value serves both calls.
func ExampleConn_CreateManagedTunnel() {
	ctx := context.Background()
	c, err := l2tp.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	t := l2tp.Tunnel{
		ID: 10, PeerID: 20, Version: 2,
		Local: netip.MustParseAddr("192.0.2.1"), LocalPort: 1701,
		Remote: netip.MustParseAddr("192.0.2.2"), RemotePort: 1701,
	}
	sock, err := l2tp.NewTunnelSocket(t)
	if err != nil {
		log.Fatal(err)
	}
	defer sock.Close() // closing the socket destroys the tunnel
	if _, err := c.CreateManagedTunnel(ctx, t, sock); err != nil {
		log.Fatal(err)
	}
	// Read and write control messages on sock.
}

// Follow the kernel's L2TP changes until the context ends.
func ExampleConn_Events() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := l2tp.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	sub, err := c.Events(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer sub.Close()
	for ev, err := range sub.All() {
		switch {
		case errors.Is(err, l2tp.ErrEventsLost):
			log.Print("events lost; resynchronising with ListTunnels and ListSessions")
		case err != nil:
			log.Print(err)
		case ev.Kind.IsTunnel():
			fmt.Println(ev.Kind, "tunnel", ev.Tunnel.ID)
		default:
			fmt.Println(ev.Kind, "session", ev.Session.ID, "in tunnel", ev.Session.TunnelID)
		}
	}
}

// List the sessions of one tunnel with their counters.
func ExampleConn_ListSessions() {
	c, err := l2tp.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	ss, err := c.ListSessions(context.Background(), l2tp.SessionFilter{TunnelID: 10})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range ss {
		fmt.Println(s.ID, s.InterfaceName, s.Stats.RxPackets, s.Stats.TxPackets)
		if s.Stats.Present.Has(l2tp.StatRxInvalid) { // kernels since 5.10
			fmt.Println("invalid:", s.Stats.RxInvalid)
		}
	}
}

// Create many sessions in one call; each gets its own result.
func ExampleConn_CreateSessions() {
	c, err := l2tp.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	var ss []l2tp.Session
	for id := uint32(1); id <= 100; id++ {
		ss = append(ss, l2tp.Session{TunnelID: 10, ID: id, PeerID: id, Pseudowire: l2tp.PseudowireEth})
	}
	results, err := c.CreateSessions(context.Background(), ss)
	if err != nil {
		log.Fatal(err) // the batch itself failed
	}
	for i, err := range results {
		switch {
		case errors.Is(err, fs.ErrExist):
			fmt.Println("session", ss[i].ID, "exists already")
		case err != nil:
			fmt.Println(err)
		}
	}
}

// The kernel's errors come back with meaning added; the errno and the
// kernel's extended-ACK text stay reachable.
func ExampleErrNotFound() {
	c, err := l2tp.Dial(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	_, err = c.GetTunnel(context.Background(), 42)
	if errors.Is(err, l2tp.ErrNotFound) {
		fmt.Println("no tunnel 42")
	}
}

// Values are checked before anything is sent; the error names the field
// and the rule.
func ExampleErrInvalid() {
	_, err := l2tp.NewTunnelSocket(l2tp.Tunnel{
		ID: 5, PeerID: 6, Version: 3,
		Local:  netip.MustParseAddr("192.0.2.1"),
		Remote: netip.MustParseAddr("2001:db8::2"), RemotePort: 1701,
	})
	fmt.Println(err)
	fmt.Println(errors.Is(err, l2tp.ErrInvalid))
	// Output:
	// l2tp: tunnel 5: Local (192.0.2.1) and Remote (2001:db8::2) must be of the same address family
	// true
}

// Older kernels report fewer counters: Present says which ones are there.
func ExampleStatsMask_Has() {
	s := l2tp.Stats{RxPackets: 7, Present: l2tp.StatAll &^ (l2tp.StatRxCookieDiscards | l2tp.StatRxInvalid)}
	fmt.Println(s.Present.Has(l2tp.StatRxPackets), s.Present.Has(l2tp.StatRxInvalid))
	// Output: true false
}
